"""Workforce management: staffing models, forecasting, forecast accuracy, adherence."""
