"""Homeport updates: releases side by side, preflight, trial, commit or roll back."""
