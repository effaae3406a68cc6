"""Everything that speaks Genesys Cloud HTTP: transport (retries, bounds, errors), auth (tokens), the client and
its page walk, wire models, regions, and the request budget. Imports no engine, alerts or Textual."""
