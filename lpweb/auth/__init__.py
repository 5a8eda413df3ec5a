"""Authentication: consumer identities from the IdP and brand sessions from agentVep."""
