"""aios as an MCP server: ``/mcp`` (streamable HTTP, in the daemon) and ``aios mcp``
(stdio, for editors and desktop assistants), both over the one syscall table."""
