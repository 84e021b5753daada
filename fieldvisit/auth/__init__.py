"""Signing in and out: who is using Fieldvisit, their session and its idle timeout."""
