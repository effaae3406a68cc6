"""The domain and the states the views show: plain data, no I/O (imports only support/)."""
