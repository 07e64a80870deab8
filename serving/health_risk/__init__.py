"""The health risk models (diabetes, heart) in service, followed in the registry."""
