"""One module per domain; each defines ``router: APIRouter``."""
