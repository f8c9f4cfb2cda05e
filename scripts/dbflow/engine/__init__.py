"""The local PostgreSQL: binaries, the server account, the extension overlay, the lifecycle."""
