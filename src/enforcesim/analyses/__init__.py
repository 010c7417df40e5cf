"""What is computed from runs: one scenario's run with its central run and bottleneck
attribution (runs.py), the workload a run or study would cost (workload.py), scenarios
compared on common random numbers (compare.py), grids of values (sweep.py), Sobol
sensitivity (sensitivity.py) and the fit to ICE's statistics (calibration/). Above the
results, below the executors that run them in parallel and the reports that show them."""
