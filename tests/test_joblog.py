"""A failing job script leaves its error in the job's log file, not only on the console."""

import subprocess
import sys
import textwrap


def test_uncaught_error_is_written_to_the_job_log(tmp_path):
    log = tmp_path / "job.log"
    script = tmp_path / "job.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import logging
            from intercal.joblog import job_log
            job_log({str(log)!r}, filemode="w")
            logging.info("reading the input")
            from intercal.errors import InputError
            raise InputError("data/x.csv: column 'Voltage(V)' not found")
            """
        )
    )
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "column 'Voltage(V)' not found" in proc.stderr  # still shown on the console
    text = log.read_text()
    assert "reading the input" in text
    assert "job failed: InputError: data/x.csv: column 'Voltage(V)' not found" in text
    assert "Traceback" in text


def test_clean_job_writes_no_error(tmp_path):
    log = tmp_path / "job.log"
    code = f"from intercal.joblog import job_log; job_log({str(log)!r}); import logging; "
    code += "logging.info('done')"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0
    assert "done" in log.read_text() and "job failed" not in log.read_text()
