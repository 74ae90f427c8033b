"""Names the SQL detector judges by: functions, catalogs and procedures of the major databases.

Kept apart from the grammar in :mod:`.sqli` so the lists can grow without touching the logic.
Every list is lower-case; the lexer lower-cases words before they are looked up.

Example::

    >>> "pg_sleep" in ATTACK_FUNCTIONS
    True
"""

from __future__ import annotations

# Functions whose only everyday use is probing or exfiltrating through a database.
ATTACK_FUNCTIONS = frozenset(
    """sleep benchmark pg_sleep load_file extractvalue updatexml xp_cmdshell sys_eval sys_exec
    randomblob receive_message get_host_address make_set name_const geometrycollection
    multipoint multilinestring multipolygon gtid_subset exp_polygon dbms_pipe utl_inaddr
    utl_http ctxsys drithsx sn xmltype dbms_xmlgen dblink_connect lo_import lo_export lo_get
    lo_from_bytea pg_read_file pg_read_binary_file pg_ls_dir openrowset opendatasource
    openquery xp_dirtree xp_regread xp_fileexist sp_oacreate sp_executesql sqlite_version
    json_keys ord_sys analyse dbms_lock dbms_ldap dbms_java pg_stat_file""".split()
)
# Functions common in injections but also in ordinary code: need more SQL around them.
PROBE_FUNCTIONS = frozenset(
    """ascii substr substring mid char chr concat concat_ws group_concat hex unhex version
    database user schema current_user system_user session_user if ifnull isnull nullif
    length len count cast convert floor rand md5 sha1 elt instr locate position left right
    lower upper ord coalesce iif case char_length bin conv load_file""".split()
)
# SQL functions that are nobody's search term or name: a value opening with a call is SQL.
VALUE_FUNCTIONS = frozenset(
    """concat concat_ws group_concat substr substring mid hex unhex ifnull isnull nullif coalesce md5 sha1
    sha2 ascii char chr uncompress compress encode decode name_const make_set elt instr locate version
    database schema current_user system_user session_user benchmark sleep extractvalue updatexml
    load_file cast convert char_length bin conv ord iif lpad rpad unicode nchar quotename db_name
    schema_name object_id col_name xmltype utl_http dbms_pipe sys_context to_char to_number div overlay
    find_in_set strcmp substring_index export_set""".split()
)
# Every built-in function name an injected call is likely to use (MySQL, PostgreSQL, SQL Server,
# Oracle, SQLite). Only judged where a value *opens* with one and leaves its parenthesis open,
# the shape of a probe that tests whether a call reaches the database.
SQL_FUNCTIONS = VALUE_FUNCTIONS | PROBE_FUNCTIONS | ATTACK_FUNCTIONS | frozenset(
    """abs acos asin atan atan2 avg bit_and bit_count bit_length bit_or bit_xor ceil ceiling
    char_length character_length charindex coercibility collation compress connection_id cos cot
    crc32 curdate current_date current_time current_timestamp curtime date date_add date_format
    date_sub datediff datalength day dayname dayofmonth dayofweek dayofyear default degrees exp
    extract field floor format found_rows from_base64 from_days from_unixtime greatest hour
    in inet_aton inet_ntoa insert last_insert_id lcase least ln localtime localtimestamp log log10
    log2 ltrim makedate maketime max microsecond min minute mod month monthname now oct
    octet_length password pi pow power quarter quote radians regexp_like regexp_replace
    regexp_substr repeat replace reverse round row_count rtrim sec_to_time second sha sign sin
    soundex space sqrt std stddev str_to_date strcmp stuff sum sysdate tan time timediff
    timestamp to_base64 to_days trim truncate ucase uuid values variance week weekday year
    yearweek""".split()
)
CATALOG_NAMES = frozenset(
    """information_schema mysql sysobjects syscolumns sysusers sysdatabases pg_catalog
    pg_shadow pg_user sqlite_master sqlite_schema all_tables all_users user_tables dual
    msysaccessobjects msysobjects sys v$version""".split()
)
# Procedures, packages and providers that only an attack names on its own (a whole value).
ATTACK_NAMES = frozenset(
    """xp_cmdshell xp_dirtree xp_regread xp_fileexist xp_servicecontrol xp_availablemedia
    xp_subdirs xp_makecab xp_ntsec_enumdomains xp_terminate_process sp_password sp_executesql
    sp_oacreate sp_oamethod sp_addextendedproc sp_makewebtask sp_configure utl_http utl_inaddr
    utl_file dbms_pipe dbms_lock dbms_java openrowset opendatasource openquery msdasql sqloledb
    pg_sleep pg_read_file pg_ls_dir lo_import lo_export""".split()
)
# PostgreSQL JSON/array operators: between two literals they are SQL and nothing else.
JSON_OPERATORS = frozenset({"@>", "<@", "?|", "?&", "@?", "@@", "#>", "#>>"})
