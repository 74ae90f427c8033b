-- wrk script: the benchmark GET with different query words, page and session cookie per request
-- (browser headers stay the same), so no per-value cache can make repeated requests free.
local words = {"running", "trail", "leather", "summer", "winter", "kids", "sale", "new", "black", "red"}
wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
wrk.headers["Accept"] = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
wrk.headers["Accept-Language"] = "en-GB,en;q=0.9"
request = function()
  local q = words[math.random(#words)] .. math.random(100000) .. "+shoes"
  local path = "/user/search?q=" .. q .. "&page=" .. math.random(500) .. "&sort=price&size=" .. math.random(30, 48) .. "&lang=en"
  wrk.headers["Cookie"] = string.format("session=%08x%08x; theme=dark", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))
  return wrk.format("GET", path)
end
