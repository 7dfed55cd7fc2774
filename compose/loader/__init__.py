"""Compose files in, the canonical project out: what ``docker compose config`` prints.

Entry point: :func:`compose.loader.load.load_project`. The steps, one module each:

``discovery``    compose files, working directory, ``.env``/``--env-file``, profiles
``dotenv``       the ``.env`` syntax (and the ``raw`` env_file format)
``yamlsource``   YAML with go-yaml's scalar rules and source positions
``template``     ``$VAR`` / ``${VAR:-default}`` substitution in one string
``interpolate``  substitution over a whole file, with the type casts
``transform``    short syntax to long syntax, per file
``files``        one file through the per-file steps, merged onto the earlier ones
``extends``      services built on other services
``include``      other projects imported
``merge``        the merge rules, uniqueness, ``!reset``/``!override``
``profiles``     active services, ``config SERVICE...`` selection
``normalize``    defaults, names, resolved ``paths``, env files read
``load``         the order of it all, the project name

and beside them:

``pathtable``    rule tables keyed by path patterns, compiled into trees for the walks
``observe``      every file-system question the loader asks, noted with its answer
``resultcache``  an earlier ``config`` output reused while those answers still hold

This package imports nothing itself, so that importing a submodule stays cheap.
"""
