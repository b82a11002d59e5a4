"""Calibration to real order logs and back-tests of the forecast (标定与回测)."""
