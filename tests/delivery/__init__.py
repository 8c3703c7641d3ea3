"""Tests of subscriptions, rendering and delivery."""
