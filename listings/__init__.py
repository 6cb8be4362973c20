"""Listings: NGOs keep their own listings current; moderators keep the directory trustworthy."""
