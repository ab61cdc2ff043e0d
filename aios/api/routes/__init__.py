"""The API's routes, one module per area; each only translates HTTP to syscalls."""
