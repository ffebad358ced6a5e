"""Users of the web app and API: accounts, roles and scopes, passwords, tokens, login limits."""
