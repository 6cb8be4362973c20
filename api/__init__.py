"""The JSON search API (/api/v1) for partners and for our own pages."""
