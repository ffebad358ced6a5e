"""The evaluation forms the demo imports (one TOML file per form version, see
docs/qa-forms.md): voice calls and digital conversations handled by people, and bot
conversations."""
