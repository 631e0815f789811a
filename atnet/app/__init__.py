"""Layer 9, the application: the Python API for new footage (api.py), the runs behind the
commands (runs.py: evaluate, demo, reproduce), pretraining (pretrain.py), the checks that no
command writes over its inputs (outputs.py), and the command line (cli.py), the only place that
reads flags."""
