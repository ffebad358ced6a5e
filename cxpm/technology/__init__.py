"""Technology governance registry: each technology serving customers (bot, AI assistant,
IVR, agent assist) with its owner, purpose, channels, version, ethics-policy attestation,
data-security review, knowledge/skills verifications and change log. model.py defines the
records; store.py keeps them in the app database (every change audited); verification.py
computes a verification from QA evaluations or a test set; flags.py says what needs
attention (docs/technology.md)."""
