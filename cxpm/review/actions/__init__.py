"""Corrective actions: a problem on a metric and scope, its root cause, the tasks that fix it,
and proof that the fix worked. model.py defines an action, its states and fields;
workflow.py the allowed state changes; store.py keeps actions in the app database (every
change audited); overdue.py lists late actions; effectiveness.py checks a fix against the
metric's target and a control chart and proposes closing or reopening (docs/actions.md)."""
