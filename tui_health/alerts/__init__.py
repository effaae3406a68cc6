"""Alert delivery: sinks build messages, the outbox keeps them, the dispatcher delivers them."""
