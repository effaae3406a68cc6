from tui_health.cli import main

raise SystemExit(main())
