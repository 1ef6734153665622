# The fingerprint of the package modules a set of rules runs (see pkg_code in common.smk):
# editing a module reruns the fingerprint, and with it exactly the jobs that use the module.


rule code_fingerprint:
    input:
        lambda wc: CODE_SETS[wc.code_key],
    output:
        f"{RESULTS}/.code/{{code_key}}.sha256",
    log:
        f"{RESULTS}/logs/code/{{code_key}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/code/{{code_key}}.tsv"
    wildcard_constraints:
        code_key=r"[A-Za-z0-9_.+-]+",
    conda:
        "../envs/intercal.yaml"
    threads: 1
    resources:
        mem_mb=200,
        runtime=2,
    script:
        "../scripts/code_fingerprint.py"
