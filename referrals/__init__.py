"""Referrals: caseworkers refer clients to services and follow up, keeping as little about the client as possible."""
