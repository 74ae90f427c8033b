"""The commented ``assetguard.yaml`` that ``assetguard init`` writes."""

CONFIG_TEMPLATE = """\
# assetguard configuration. Every key is optional; environment variables override it
# (ASSETGUARD_<KEY>, nested keys joined with __, e.g. ASSETGUARD_SMTP__HOST).

# Where the embedded default keeps its SQLite database, secret key and logs.
data_dir: .assetguard

# PostgreSQL for a team server, e.g. postgresql://postgres@127.0.0.1:5432/assetguard
# database_url: null
# With PostgreSQL, set ASSETGUARD_SECRET_KEY too (the same value on every process): it encrypts
# the session, webhook and parameter keys kept in the database.

# NATS JetStream for scale-out workers, e.g. nats://127.0.0.1:4222 (default: in-process bus)
# bus_url: null

log_level: info

api:
  host: 127.0.0.1
  port: 8080
  # public_url: https://assetguard.example.com   # used for links in alerts
  # trusted_proxies: [10.0.1.0/24]   # load balancers whose X-Forwarded-For names the client

# E-mail alerts (budgets, new HIGH/CRITICAL findings).
smtp:
  # host: smtp.example.com
  port: 25
  security: none        # none | starttls | tls
  # username: alerts
  # password: set ASSETGUARD_SMTP__PASSWORD instead of writing it here
  sender: assetguard@localhost
  recipients: []

# Slack alerts: an incoming webhook, or a bot token with a channel.
slack: {}
  # webhook_url: set ASSETGUARD_SLACK__WEBHOOK_URL
  # bot_token: set ASSETGUARD_SLACK__BOT_TOKEN
  # channel: "#security"

# Webhook and Slack targets connect only to globally routable addresses, except these networks
# (e.g. 10.20.0.0/16 for an internal SIEM).
outbound:
  allow_cidrs: []

# AWS collection and targets use boto3 with your profiles.
aws:
  regions: [us-east-1]
  # profile: default
  # accounts:
  #   - account_id: "123456789012"
  #     role_arn: arn:aws:iam::123456789012:role/assetguard-readonly

# The WAF proxy in front of the demo application (assetguard up).
waf:
  listen: 127.0.0.1:8000
  upstream: http://127.0.0.1:8001
  acl: baseline
  fail_open: false
"""
