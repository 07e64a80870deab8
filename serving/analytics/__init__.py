"""The live analytics behind `/v1/analytics/*` and `/dashboard`."""
