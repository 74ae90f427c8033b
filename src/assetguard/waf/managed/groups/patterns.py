"""Regular expressions of the managed rule groups, one entry per attack idea.

Texts reach these patterns already transformed (URL-decoded twice, HTML entities decoded,
lower-cased; see ``build.py``), so patterns are lower-case and need no encoding variants.
Every pattern stays within the AWS WAF regex subset and under 512 characters.
"""

from __future__ import annotations

_STRONG_CMDS = (
    "wget|curl|nc|ncat|netcat|bash|zsh|ksh|dash|csh|tcsh|python[23]?|perl|ruby|php|nslookup|whoami|uname"
    "|ifconfig|busybox|telnet|socat|base64|tftp|chmod|chown|printenv|uptime|hostname|netstat|lsof|useradd",
    "sudo|nohup|xterm|mkfifo|xxd|passwd|crontab|systemctl|id|ls|ps|pwd|env|cat|sh|rm|dd|awk|gawk|sed|tac"
    "|nl|dig|gcc|sftp|scp|ssh|nmap|killall|pkill|chattr|getent|ln|tar|unzip|gzip|mknod|sh[0-9]",
    "gunzip|bunzip2|zcat|bzcat|xzcat|7z|zip|rar|unrar|openssl|gpg|irb|jshell|node|nodejs|lua|tclsh|wish|php[0-9]"
    "|pip[0-9]?|npm|npx|gem|cpan|apt|apt-get|yum|dnf|apk|rpm|dpkg|mysql|psql|sqlite3|mongo|redis-cli"
    "|docker|kubectl|chef-shell|puppet|ansible|vi|vim|nano|emacs|ed|date|df|du|free|top|htop|mount|umount",
    "iptables|ifup|ifdown|ip|route|arp|traceroute|tcpdump|nmcli|ss|fuser|pgrep|strace|ltrace|gdb|objdump"
    "|readelf|hexdump|shred|truncate|install|visudo|useradd|usermod|userdel|groupadd|chpasswd|chsh|finger"
    "|wall|write|mesg|at|batch|crontab|systemd-run|setsid|stdbuf|nice|renice|taskset|bridge|perf|ldd|file",
)
_WEAK_CMDS = (
    "echo|find|sleep|kill|head|tail|more|less|touch|sort|uniq|strings|grep|egrep|ping|mail|who|last|expect"
    "|timeout|cp|mv|wc|xargs|eval|exec|export|source|ulimit|diff|od|cut|rev|tr|trap|time|type|set|unset"
    "|alias|history|read|test|sum|split|join|paste|tee|watch|yes|cd|ll|la|dir|exit|logout|reboot|halt"
)
_CMD_ARGS = r"(?:\s+(?:-{1,2}[a-z0-9]|[/~$.]|\d|[a-z0-9.-]+\.[a-z]{2,}\b|https?://|\{|\*)|\s*(?:$|[;|&`)<>]))"
_SEPARATOR = r"(?:[;|`\n\r]|&&|\$\(|<\(|>\(|\{)\s*(?:(?:/usr)?/s?bin/)?"
# Bodies carry markdown and code: a newline or backtick before a command is ordinary there, a
# '|' starts a table cell, and '; newline' ends a statement.
_BODY_SEPARATOR = r"(?:;|&&|\$\(|<\(|>\()[ \t]*(?:(?:/usr)?/s?bin/)?"


def _each(template: str, lists: tuple[str, ...]) -> str:
    return "|".join(template.replace("CMDS", cmds) for cmds in lists)


P: dict[str, str] = {
    "bad_bots": (
        r"nessus|nmap|nikto|sqlmap|masscan|zgrab|dirbuster|gobuster|wpscan|acunetix|netsparker|w3af|arachni"
        r"|havij|zmeu|nuclei|openvas|jorgee|wfuzz|ffuf|morfeus|fimap|nsauditor|paros|webinspect|appscan"
        r"|burpcollaborator|whatweb|brutus|hydra|pangolin|bsqlbf|sqlninja|grabber|webshag|skipfish|dirb/"
        r"|commix|xsser|struts-pwn|jaeles|feroxbuster|httprint|absinthe|blackwidow|mysqloit|n-stealth|webvulnscan"
        r"|(?:^|\W)(?:zap|vega|nasl|metis|crimscanner)(?:/|\W|$)|security ?scan|cgichk|webtrends security|floodgate"
    ),
    # Amazon EC2's instance metadata service (IMDS): its IPv4 address in dotted, integer, hex and
    # octal spellings, its IPv6 address, the instance-data host name and the IMDS paths. This is
    # the scope AWS documents for EC2MetaDataSSRF_*.
    "ssrf_metadata": (
        r"169\.254\.169\.254|fd00:ec2::254|0xa9fea9fe|2852039166|0251\.0376\.0251\.0376|a9fe:a9fe"
        r"|instance-data[./]|/latest/(?:meta-data|user-data|api/token)"
    ),
    # Metadata endpoints that are not EC2's: Amazon ECS task metadata, Google Cloud, Azure,
    # Alibaba Cloud (AssetGuardInjectionRuleSet's CloudMetadataSSRF_*).
    "ssrf_metadata_other": (
        r"169\.254\.170\.2|metadata\.google\.internal|metadata\.azure\.com|100\.100\.100\.200"
        r"|/computemetadata/v1|/metadata/(?:instance|identity)"
    ),
    "lfi_traversal_arg": (
        r"(?:^|[\\/])\.{2,3}[\\/;]+[^\s]|(?:^|[\\/])\.{2,3}[\\/]*$|%(?:c0%ae|c0%af|e0%80%ae|u002e|252e)"
        r"|[a-z]:[\\/](?:windows|winnt|inetpub|boot\.ini)"
        r"|(?:^|[\\/])(?:boot|win|system)\.ini\b|\.ht(?:access|passwd)\b|\bweb\.config\b"
    ),
    "lfi_traversal_path": r"(?:^|[\\/])\.{2,3}(?:[\\/]|$)|[\\/]\.\.;[\\/]|%2e%2e|%c0%ae|\.\.\\",
    "lfi_traversal_body": (
        r"(?:\.\.[\\/]){2,}|(?:^|[=\s\"'(])\.\.[\\/](?:etc|proc|windows|winnt|boot|var|usr|root|home)\b"
        r"|/etc/(?:passwd|shadow)\b|[a-z]:\\windows\\|(?:^|=)(?:file:/*)?/(?:etc|proc)/"
    ),
    "restricted_ext": (
        r"\.(?:asa|asax|ascx|backup|bak|bat|cdx|cer|cfg|cmd|com|config|conf|cs|csproj|csr|dat|db|dbf|dll|dos"
        r"|htr|htw|ida|idc|idq|inc|ini|key|licx|lnk|log|mdb|old|pass|pdb|pol|printer|pwd|rdb|resources|resx"
        r"|sql|swp|sys|vb|vbs|vbproj|vsdisco|webinfo|xsd|xsx|env|git|svn|htaccess|htpasswd|pem|sqlite3?|orig"
        r"|tmp|sh|ps1|jks|p12|pfx|kdbx|exe|msi)(?:$|[?#;~])"
    ),
    # A URL with an IPv4 host under one of the schemes AWS names for GenericRFI_* (http, https,
    # ftp, ftps, file): the scope AWS documents for that rule.
    "rfi_ipv4": (
        r"(?:^|[=\s\"'(/])(?:https?|ftps?|file)://(?:[^/\s]*@)?\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"
    ),
    # Everything else a remote inclusion looks like (AssetGuardInjectionRuleSet's
    # RemoteFileInclusion_*): other schemes with an IPv4 host, URLs ending in '?', stream
    # wrappers, IPv6 hosts, a URL inside the path, include()/require() of a URL, include-path
    # parameters of known vulnerable applications.
    "rfi": (
        r"(?:^|[=\s\"'(])(?:php|data|expect|gopher|dict|ldap|tftp|jar|phar|zip|glob"
        r"|compress\.zlib|ssh2)://(?:[^/\s]*@)?\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"
        r"|(?:^|[=\s\"'(])(?:https?|ftps?)://[^\s]+\?+$|^(?:file|ftps?|https?)\?+$"
        r"|(?:^|[=\s\"'(])(?:expect|phar|glob|compress\.zlib|gopher|dict|jar|ssh2(?:\.\w+)?)://"
        r"|(?:https?|ftps?)://\[?[0-9a-f]{1,4}(?::[0-9a-f]{0,4}){2,}|/(?:https?|ftps?|file)://"
        r"|\b(?:include|require)(?:_once)?\s*\(?\s*[\"']?(?:https?|ftps?)://"
        r"|(?:mosconfig_absolute_path|_conf\[path\]|_server\[document_root\]|gallery_basedir|path\[docroot\]"
        r"|appserv_root|config\[root_dir\])=(?:file|ftps?|https?)://"
    ),
    "java_deser": (
        r"ro0ab|aced0005|\xac\xed\x00\x05|java\.lang\.(?:runtime|processbuilder|reflect)|javax\.script"
        r"|org\.apache\.commons\.collections|invokertransformer|chainedtransformer|com\.sun\.org\.apache\.xalan"
        r"|templatesimpl|java\.beans\.xmldecoder|ysoserial|com\.sun\.rowset\.jdbcrowsetimpl|bsh\.interpreter"
        r"|groovy\.util\.expando|java\.rmi\.server|clojure\.core\$comp|org\.springframework\.beans\.factory"
    ),
    "host_localhost": r"^(?:localhost|localhost\.localdomain)(?::\d+)?$",
    "exploitable_paths": (
        r"/web-inf(?:/|$)|/meta-inf(?:/|$)|/\.(?:git|svn|hg|bzr|aws|ssh|vscode|idea)(?:/|$)|/\.env$"
        r"|/\.ht(?:access|passwd)|/\.ds_store|/wp-config\.php|/phpmyadmin|/actuator(?:/|$)"
        r"|/server-(?:status|info)|/jmx-console|/manager/html|/invoker/|/cgi-bin/|/solr/admin"
        r"|/_ignition/|/vendor/phpunit|/xmlrpc\.php|/boaform/|/hnap1"
        r"|/\.(?:[^w/.]|w[^e/]|we[^l/]|wel[^l/])[^/]*(?:/|$)"
        r"|\.(?:sql|db|bak|dump)\.(?:zip|gz|bz2|xz|tar|7z|rar)$"
    ),
    # Linux system files as a URI path (/proc/version): AWSManagedRulesLinuxRuleSet LFI_URIPATH,
    # with linux_files; not ExploitablePaths_URIPATH (web application paths such as web-inf).
    "linux_paths_uri": (
        r"^/(?:proc|sys)/|/(?:proc|sys)/(?:self|class|kernel|devices|block|firmware|interrupts|cpuinfo|meminfo"
        r"|version|mounts|net)\b"
    ),
    "log4j": (
        r"(?:\$|&dollar;|\\u0024)(?:\{|&lbrace;|\\u007b)\s*(?:jndi|[^}]{0,60}(?:\$\{|:-))|&lbrace;\s*jndi|\$\{\s*(?:jndi|ldaps?|rmi|dns|iiop|corba|nds|nis|lower|upper|env|sys"
        r"|java|date|main|base64|ctx|k8s|docker|spring|web|log4j|bundle|sd|map|marker|jvmrunargs|event)\s*:"
    ),
    "sqli_extended": (
        r"\bunion\b(?:\s|/\*.*?\*/|\(|\ball\b|\bdistinct\b)*\bselect\b"
        r"|\bselect\b[^;]{0,200}?\bfrom\b[^;]{0,60}?\b(?:information_schema|mysql\.user|pg_catalog|pg_shadow"
        r"|sysobjects|syscolumns|sqlite_master|all_tables|dual)\b"
        r"|\bwaitfor\s+(?:delay|time)\b|\bpg_sleep\s*\(|\bbenchmark\s*\(\s*\d|\bdbms_pipe\.|\butl_(?:inaddr|http)\."
        r"|\bxp_cmdshell\b|\bload_file\s*\(|\binto\s+(?:out|dump)file\b"
        r"|;\s*(?:drop|truncate|alter|shutdown|declare)\s+(?:table|database|@|--|;|$)"
        r"|\b(?:or|and|xor)\s+[\w'\"]+\s*(?:=|like|<|>)\s*[\w'\"]+\s*(?:--|#|/\*)"
        r"|\b(?:information_schema|pg_catalog|msysaccessobjects|msysobjects|sysobjects|syscolumns|sysusers"
        r"|sqlite_master|mysql\.(?:db|user)|tempdb|msdb|northwind|pg_shadow|pg_user)\b"
        r"|\bcase\s+when\b.{0,100}?\bthen\b|\bif\s*\(\s*[\w'\"]+\s*[=<>]|\)\s*(?:like|rlike|regexp)\s*\(|\bexecute\s+immediate\b"
        r"|/\*!\d*|\b(?:4294967296|4294967295|2147483648|9223372036854775807|9223372036854775808|1e309)\b"
        r"|2\.2250738585072011e-308|\bselect\s+pg_sleep\b|\bhaving\s+count\s*\("
        r"|(?:\)|['\"`\d])\s*as\s+['\"`]?\w+['\"`]?\s+from\b|['\"]\s*(?:\?[|&]?|<@|@>|@@|#>>?|->>?)\s*['\"(]"
        r"|\bjsonb?_[a-z_]+\s*\(|::(?:double\s+precision|float\d?|numeric|date|timestamp|boolean|bool|char|real"
        r"|oid|regproc|name)\b"
        r"|\b(?:database|db_name|schema_name|current_user|system_user|session_user|user_name|sysdate|xmltype"
        r"|sys_context|@@\w+|version|last_insert_id|row_count|found_rows)\s*\(|::(?:int|text|jsonb?|bigint|varchar|regclass)\b"
    ),
    # A query argument that is an absolute path into a Linux system directory: Linux LFI
    # (AWSManagedRulesLinuxRuleSet LFI_QUERYSTRING), not path traversal (GenericLFI).
    "linux_abs_arg": r"(?:^|[=&])(?:file:/*)?/(?:etc|proc|root|sys)/",
    "linux_files": (
        r"/etc/(?:passwd|shadow|group|gshadow|hosts|issue|crontab|sudoers|motd|fstab|mtab|hostname|resolv\.conf"
        r"|security/|ssh/|apache2/|nginx/|mysql/|httpd/|init\.d/|profile|bashrc|environment|os-release"
        r"|redhat-release|debian_version|lsb-release|master\.passwd|pwd\.db|spwd\.db)|/proc/(?:self|\d+"
        r"|thread-self|sys|net)/|/sys/(?:class|kernel|devices|firmware|module|block|bus|power)\b"
        r"|/var/(?:log|mail|spool)/|/root/|\.(?:bash_history|bash_profile|zsh_history"
        r"|mysql_history|psql_history)|\.ssh/(?:id_|authorized_keys|known_hosts)|\.aws/credentials"
        r"|/dev/(?:tcp|udp)/|/usr/local/etc/|/opt/lampp/"
    ),
    # After CMD_LINE (quotes, carets and backslashes removed, ',' ';' become spaces).
    "unix_cmd": (
        _each(
            # after CMD_LINE a ";" or "," before "/" is gone: "x;/bin/cat /etc" reads "x/bin/cat/etc"
            r"(?:^|[\s|&`(){}$/])(?:CMDS)(?:/(?:etc|bin|usr|tmp|dev|proc|var|home|root)\b|\s+-{1,2}[a-z]{1,12}\s*/)",
            _STRONG_CMDS,
        )
        + r"|\$\{?ifs\b|(?:^|[\s;|&`(])/(?:usr/)?s?bin/[a-z]|/(?:usr/)?s?bin/[a-z]*[?*]"
        + r"|/[?*]{1,4}/[a-z?*]{0,5}[?*]|^\s*\(\s*\)\s*\{|"
        + r"/\[[?*]\][a-z]|[a-z]\[[?*]\][a-z]*/|"
        + _each(r"\{\s*(?:CMDS)\s*,", _STRONG_CMDS)
    ),
    # Separators kept: ; | ` $( && newline before a command that has arguments or ends the value.
    "unix_cmd2": _each(_SEPARATOR + "(?:CMDS)" + _CMD_ARGS, (*_STRONG_CMDS, _WEAK_CMDS))
    + r"|\$\(\(?\s*[a-z_$]|[<>]\(\s*[a-z]|\$\{[a-z_]\w*[#%:/^,~@]|\$\(\s*\)"
    # a command with a flag right after a separator; quote/empty-substitution splitting inside a word;
    # here-strings; shell function definitions; reverse-shell redirections; find -exec.
    r"|[;|`]\s*[a-z][\w.+-]{1,30}\s+-{1,2}[a-z]|(?:''|\"\"|``|\$\$|\$@|\$\*|<\(\)|\\\n)[a-z]|<<<"
    r"|\(\s*\)\s*\{|\d?>&\s*\d|\d>\s*/dev/|/dev/(?:tcp|udp)/|\s-exec\s+[\w/]+[^;]{0,80}\{\}",
    "unix_cmd2_body": _each(_BODY_SEPARATOR + "(?:CMDS)" + _CMD_ARGS, (*_STRONG_CMDS, _WEAK_CMDS)),
    # A whole argument that is a command line: a strong command with a flag, path or quoted argument.
    "unix_cmd_value": _each(
        r"^\s*[\"']?(?:CMDS)[\"']?(?:\s+-{1,2}[a-z0-9]+)*\s+[\"']?(?:/|~/|\$\w|\.\.?/)", _STRONG_CMDS
    ),
    "windows_cmd": (
        r"(?:^|[;&|`'\"\s(])(?:cmd(?:\.exe)?\s*/[ckr]|command\.com|powershell(?:\.exe)?\s|pwsh(?:\.exe)?\s"
        r"|net1?\s+(?:user|localgroup|view|use|share|group)\b|ipconfig(?:\s|$|/)|systeminfo|tasklist|taskkill"
        r"|reg(?:\.exe)?\s+(?:add|query|delete|save|export)\b|certutil|bitsadmin|wmic|rundll32|regsvr32|mshta"
        r"|cscript|wscript|schtasks|whoami\s*/|type\s+[a-z]:\\|dir\s+[a-z]:\\|vssadmin|nltest|dsquery"
        r"|icacls|xcopy\s|sc\s+(?:query|create|config|start|stop)\b|(?:c:|%systemroot%|%windir%)\\(?:windows\\)?system32)"
        r"|\bif\s+(?:/i\s+)?(?:not\s+)?(?:exist|defined|errorlevel|cmdextversion)\b"
        r"|\bif\s+(?:/i\s+)?(?:not\s+)?\S+\s*==\s*\S+\s+(?:goto|echo|cmd|call|set|start)\b|\bfor\s+/[dflr]\b|\bdo\s+(?:call|cmd|echo|set|start|copy|del|type)\b|\bfor\s+(?:/[dfrl]\s+)*(?:\"[^\"]*\"\s+)?%%?\w+\s+in\s*\(|\bif\s+(?:not\s+)?(?:exist\s|defined\s|errorlevel\s"
        r"|\(?[^()]{1,40}\)?\s+(?:equ|neq|lss|leq|gtr|geq)\s)|%comspec%|\bstart\s+/b\b"
    ),
    "powershell": (
        r"invoke-(?:expression|webrequest|restmethod|command|item|shellcode|mimikatz|wmimethod)|\biex\s*[(\s$]"
        r"|new-object\s+(?:-typename\s+)?(?:system\.)?(?:net\.webclient|io\.|diagnostics)|\.download(?:string"
        r"|file|data)\s*\(|start-process|get-(?:childitem|content|process|wmiobject|itemproperty|acl|localuser"
        r"|service|credential)\b|set-(?:executionpolicy|content|itemproperty|mppreference)\b|\s-(?:encodedcommand"
        r"|nop|noprofile|noni|noninteractive|windowstyle\s+hidden|executionpolicy\s+bypass|ep\s+bypass)\b"
        r"|\[(?:system\.)?convert\]::|frombase64string|\$env:\w|\badd-type\s|\bremove-item\s|\$psversiontable"
    ),
    "php_functions": _each(
        r"(?:^|[^\w.$>:\\-])(?:CMDS)\s*(?:(?:/\*.*?\*/|//[^\n]*|#[^\n]*)\s*)*\(",
        (
            "eval|assert|system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec|base64_decode|gzinflate"
            "|gzuncompress|str_rot13|create_function|call_user_func(?:_array)?|preg_replace|file_get_contents"
            "|file_put_contents|include|require|include_once|require_once|phpinfo|unserialize",
            "move_uploaded_file|highlight_file|show_source|fsockopen|php_uname|posix_getpwuid|ini_set|putenv"
            "|array_map|hex2bin|curl_exec|stream_socket_client|get_defined_vars|str_replace"
            "|strrev|gzdecode|convert_uu|mb_ereg_replace|assert_options|print_r|var_dump|var_export|curl_init"
            "|settype|ob_start|array_filter|array_walk|usort|uasort|register_shutdown_function",
        ),
    )
    + r"|(?:base64_decode|gzinflate|gzuncompress|gzdecode|bzdecompress|str_rot13|shell_exec|passthru|proc_open"
    r"|pcntl_exec|phpinfo|create_function|call_user_func|move_uploaded_file|highlight_file|show_source|php_uname"
    r"|fsockopen|file_exists|file_get_contents)\s*(?:/\*.*?\*/\s*)*\(",
    "php_vars": (
        r"<\?(?:php\b|=|\s|$|[^x]|x[^m]|xm[^l]|xml\s*:)|[\[{]/?php[\]}]|\$\{\s*(?:['\"][^'\"]{0,40}['\"]|\$\w+)\s*\}|\$+[a-z_@][\w@]*\s*(?:\[[^\]]*\]\s*)*(?:/\*.*?\*/\s*)*\(|"
        r"[\"'][\w\\]+[\"']\s*\(\s*[\w$\"']|\bcompress\.(?:zlib|bzip2)://|\b(?:opcache|mbstring|pcre|session|zend|xdebug)"
        r"\.[a-z_]+\s*=|\$_(?:get|post|request|cookie|server|files|env|session)\b|\$globals\b"
        r"|php://(?:input|filter|fd|memory|temp|stdin)|\b(?:phar|zip|expect|glob|compress\.zlib|ogg|rar|ssh2(?:\.\w+)?)://"
        r"|['\"]\w+['\"]\s*\.\s*['\"]\w+['\"]|\(\s*[a-z_]\w*\s*\)\s*\(|\{\s*\[\s*\w+\s*\]|\(\s*string\s*\)"
        r"|\bo:\d+:\"[^\"]{1,64}\":\d+:\{|\ba:\d+:\{[is]:|\b(?:allow_url_include|auto_prepend_file"
        r"|auto_append_file|disable_functions|open_basedir|safe_mode)\b|\b(?:memory_limit|extension(?:_dir)?"
        r"|allow_url_fopen|display_errors|error_reporting|upload_tmp_dir|max_execution_time|short_open_tag"
        r"|register_globals|include_path|log_errors|error_log|file_uploads|enable_dl)\s*="
    ),
    "nosql": (
        r"\[\s*\$(?:ne|eq|gt|gte|lt|lte|in|nin|regex|where|exists|or|and|not|nor|expr|elemmatch|size|type|all"
        r"|mod|text|function|accumulator)\s*\]|\"\$(?:ne|gt|gte|lt|lte|in|nin|regex|where|exists|or|and|nor|not"
        r"|expr|elemmatch|function|accumulator)\"\s*:|\$where\s*:|\bdb\.\w+\.(?:find|drop|insert|remove"
        r"|update|aggregate)\s*\(|this\.\w+\s*[=!]=|\bsleep\s*\(\s*\d+\s*\)\s*(?:\|\||&&|;)"
    ),
    "nosql_names": (
        r"\[\s*\$(?:ne|eq|gt|gte|lt|lte|in|nin|regex|where|exists|or|and|not|nor|expr|elemmatch)\s*\]\s*="
    ),
    "ssti": (
        r"\{\{.{0,120}?(?:__class__|__mro__|__subclasses__|__globals__|__builtins__|__import__|__init__"
        r"|lipsum|cycler|joiner|\d+\s*[*]\s*\d+|constructor|popen)|\{%.{0,120}?(?:import|exec|popen|system"
        r"|subprocess)|\$\{.{0,80}?(?:t\(|runtime|getclass|forname|\d+\s*\*\s*\d+|freemarker)|<#(?:assign"
        r"|import|include)|freemarker\.template|#set\s*\(\s*\$|#\{.{0,80}?(?:\d+\s*\*\s*\d+|runtime|exec)"
        r"|<%=?.{0,120}?(?:runtime|exec|system|eval|request|\d+\s*\*\s*\d+)|\*\{.{0,80}?t\("
    ),
    "ldap": (
        r"\)\s*\(\s*[a-z]\w*\s*[~<>]=|\)\s*[|&!]\s*\(|\)\s*\(\s*[|&!]|\)\s*!\s*\(|\*\)\s*\(\s*[|&!]|\)\s*\(\s*[|&!]\s*\(|\(\s*[|&!]\s*\(\s*\w+\s*[~<>]?=|\*\)\s*\(\s*\w+\s*=\s*\*"
        r"|\(\s*\w+\s*=\s*\*\s*\)\s*\)|\)\s*\(\s*\w+\s*=\s*\*"
    ),
    "xxe": (
        r"<!entity\b|<!doctype[^>]{0,200}\[|\bsystem\s+[\"'](?:file|https?|ftp|php|expect|jar|gopher|netdoc"
        r"|data):|<xi:include\b|xmlns:xi\s*=|<xsl:(?:value-of|stylesheet)\b.{0,100}(?:system-property"
        r"|document\()|%\w+;\s*\]>"
    ),
    "ssi": r"<!--\s*#\s*(?:exec|include|echo|config|set|printenv|fsize|flastmod|if|elif)\b",
    "java_code": (
        r"java\.(?:runtime|processbuilder)\s*[.(@#]|java\.lang\.(?:runtime|processbuilder|system|class|thread|reflect)[\w.]*\s*[(@#]"
        r"|java\.lang\.(?:runtime|processbuilder|system|class|thread|reflect)\.[a-z]\w*\s*[(@#]|\.getruntime\s*\(|processbuilder\s*\("
        r"|class\.forname|\.getclass\s*\(\s*\)\s*\.|\bclass\.module\.classloader|javax\.(?:script|naming)"
        r"|java\.io\.(?:file|inputstream)\w*\s*\(|new\s+java\.io\.|org\.apache\.(?:struts|commons)\.[\w.]+\s*[(@#]|\bognl\b|@java\.lang|%\{.{0,80}?(?:#_memberaccess"
        r"|#context|@java)|xwork\.methodaccessor|java\.util\.scanner|\.exec\s*\(\s*[\"'](?:/bin|cmd|bash|sh|calc"
        r"|whoami|id)|\bclassloader\s*[.(\[]|runtime\.exec|\b(?:clone|instantiate|invoker|chained|constant"
        r"|map)(?:transformer|factory)\b|\b(?:while|for|if|not|switch|transformer)closure\b|prototype(?:clone"
        r"|serialization)factory"
    ),
    "php_upload": r"\.\s*(?:php[0-9]*|phpt|phtml|phar|pht|phps|inc)(?:$|[.\s;\"'])|\bsess_[a-z0-9,-]{20,}",
    "nodejs": (
        r"require\s*\(\s*[\"'](?:child_process|fs|net|vm|os|process)[\"']\s*\)|child_process|process\.(?:mainmodule"
        r"|binding|kill|exit)|\.constructor\s*\(\s*[\"']return|__proto__|constructor\s*\[\s*[\"']prototype"
        r"|constructor\.prototype|_\$\$nd_func\$\$_|\beval\s*\(\s*(?:require|process|buffer)|new\s+function\s*\("
        r"\s*[\"']|\bprocess\.spawn\b|\bkernel\.(?:exec|system|spawn)\b|\bio\.popen\b"
        r"|(?:https?|ftp|gopher|dict|file)://(?:[^/\s]*@)?(?:0x[0-9a-f]{2,}|\d{8,10}|0\d+\.\d|\[[0-9a-f:.]*\]|2130706433"
        r"|127\.|localhost|0\.0\.0\.0|[^/\s]*\.(?:nip\.io|xip\.io|sslip\.io|localtest\.me|lvh\.me|vcap\.me))"
        r"|\blocal(?:host[0-9]*(?:\.localdomain[0-9]*)?|test\.me)\b"
        r"|@\{\[\s*(?:system|exec|qx)|\[\s*constructor\s*\]\s*\[\s*prototype\s*\]|\bconstructor\s*\]\s*\["
        r"|\b(?:system|exec)\s+['\"][a-z]+['\"]"
    ),
    # A Java class name as a value or a name (not an import line in an article).
    "java_class": (
        r"(?:^|[=&\"'{:,(\[;])\s*(?:(?:java|javax|jdk|sun|com\.sun)\.(?:io|net|nio|util|beans|rmi|security|script"
        r"|naming|management|xml)\.[a-z]|java\.lang\.(?:runtime|processbuilder|reflect|class|system|thread|invoke"
        r"|stringbuilder|object|module|compiler))"
    ),
    "session_fixation": (
        r"\.cookie\b.{0,100}?;\s*(?:expires|domain|path)\s*=|http-equiv\W+set-cookie|\bset-cookie\s*:"
        r"|(?:^|[&?;])(?:jsessionid|phpsessid|aspsessionid\w*|asp\.net_sessionid|cfid|cftoken)="
    ),
    # Session identifiers passed in the URL: the classic way to plant a victim's session.
    "session_param": (
        r"(?:^|[&?;])[\w.:\[\]-]*(?:sess|\bsid\b|shiny-token|session-token|login_token|cfid|cftoken|cfsid|cakephp)"
        r"[\w.:\[\]-]*=|\"[\w.:-]*(?:sess|jsessionid|cfid|cftoken)[\w.:-]*\"\s*:"
    ),
    # Protocol enforcement (AssetGuardProtocolRuleSet); texts are lower-cased.
    "numeric_host": r"^(?:\d{1,2}|1[013-9]\d|12[0-68-9]|2\d\d)(?:\.\d{1,3}){3}(?::\d+)?$|^\[[0-9a-f:]+\](?::\d+)?$",
    "allowed_content_type": (
        r"^\s*(?:application/(?:x-www-form-urlencoded|json|xml|soap\+xml|octet-stream|csp-report|x-amf"
        r"|x-ndjson|graphql|[\w.-]+\+(?:json|xml)|problem\+json)|multipart/(?:form-data|related|mixed)"
        r"|text/(?:plain|xml|csv|markdown))\s*(?:;|$)"
    ),
    "allowed_charset": r"^[^;]*;\s*charset\s*=\s*[\"']?(?:utf-8|iso-8859-1|iso-8859-15|windows-1252|us-ascii)[\"']?\s*(?:;\s*boundary=[^;]*)?$|^[^;]*;\s*boundary=[^;]*;\s*charset\s*=\s*[\"']?utf-8[\"']?\s*$",
    "restricted_headers": (
        r"^(?:proxy|lock-token|content-range|content-encoding|if|x-http-method-override|x-http-method|x-method-override"
        r"|request-range|translate)$"
    ),
    "invalid_encoding": r"%(?:[^0-9a-f%u]|[0-9a-f](?:[^0-9a-f]|$)|$)|%c[01]%[89ab][0-9a-f]|%e0%[89][0-9a-f]%|%u(?:ff|d[89ab])[0-9a-f]{2}",
    "crlf": (
        r"[\r\n]\s*(?:set-cookie|location|content-(?:type|length|disposition)|refresh|x-[\w-]+"
        r"|access-control-[\w-]+|http/\d|host|transfer-encoding)\s*:|[\r\n]\s*http/\d"
        r"|[\r\n]\s*(?:get|post|put|head|delete|options)\s+/|[\r\n]\s*[\r\n]\s*<|[\r\n]\s*<(?:html|script|body)"
    ),
    "mail": (
        r"@[\w.-]+\s*[\r\n]+\s*(?:to|cc|bcc|subject|from|reply-to|content-type)\s*:|[\r\n]\s*(?:mail\s+from"
        r"|rcpt\s+to)\s*:|[\r\n]\s*(?:a\d{3}|\d{1,4})\s+(?:select|examine|fetch|login|list|logout|capability"
        r"|delete|uid\s+fetch)\s"
    ),
    # POP3/IMAP/SMTP commands injected after a line break in an argument.
    "mail_args": (
        r"[\r\n]\s*(?:helo|ehlo|mail\s+from|rcpt\s+to|data|rset|vrfy|expn|help|noop|quit|auth|starttls|user|pass"
        r"|retr|dele|list|top|uidl|stat|apop|capa)\b|[\r\n]\s*[a-z]?\d{1,4}\s+(?:select|examine|fetch|login|list"
        r"|logout|capability|delete|search|status|append|store|copy|create|rename|subscribe|uid)\b"
    ),
    "smuggling": (
        r"(?:^|[\n\r]+)\s*(?:get|post|head|options|connect|put|delete|trace|track|patch|propfind|proppatch|mkcol|copy"
        r"|move|lock|unlock)\s+[^\s]+\s+http/\d|[\n\r]+\s*(?:content-length|transfer-encoding)\s*:"
    ),
}

MAX_REGEX = 500


def top_level_alternatives(pattern: str) -> list[str]:
    """Split ``pattern`` at ``|`` outside groups and character classes."""
    parts: list[str] = []
    depth, in_class, start, i = 0, False, 0, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "]":
                i += 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


def chunks(pattern: str) -> list[str]:
    """``pattern`` as one or more alternations, each within AWS's 512-character limit."""
    out: list[str] = []
    current = ""
    for alt in top_level_alternatives(pattern):
        if len(alt) > MAX_REGEX:
            raise ValueError(f"alternative longer than {MAX_REGEX}: {alt[:60]}...")
        if current and len(current) + 1 + len(alt) > MAX_REGEX:
            out.append(current)
            current = alt
        else:
            current = f"{current}|{alt}" if current else alt
    out.append(current)
    return out
