"""Small real MCP servers (official SDK) that the MCP client tests connect to."""
