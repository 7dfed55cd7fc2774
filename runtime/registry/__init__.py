"""Registry client (OCI distribution spec / Docker registry v2), pull and push."""
