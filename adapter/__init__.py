"""Pleo export adapter."""
