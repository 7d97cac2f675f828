"""Real servers for the tests: a throwaway PostgreSQL cluster, an SMTP inbox."""
