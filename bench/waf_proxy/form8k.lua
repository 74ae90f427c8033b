-- wrk script: a ~8 KB form POST (a long comment and profile fields) whose values and session cookie
-- differ per request; kept under 8 KB so that baseline's SizeRestrictions_BODY lets it through.
local words = {"running", "trail", "leather", "summer", "winter", "kids", "sale", "new", "black", "red",
               "the", "and", "shoes", "would", "like", "size", "please", "before", "weekend", "thanks"}
wrk.method = "POST"
wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
wrk.headers["Accept"] = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
request = function()
  local parts = {}
  for i = 1, 1150 do parts[i] = words[math.random(#words)] end
  local comment = table.concat(parts, "+")
  local body = "name=Ada+" .. words[math.random(#words)] .. math.random(100000) .. "&email=ada" .. math.random(100000)
    .. "%40example.com&city=Springfield&newsletter=yes&page=" .. math.random(500) .. "&comment=" .. comment
  body = string.sub(body, 1, 8000)
  wrk.headers["Cookie"] = string.format("session=%08x%08x; theme=dark", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))
  return wrk.format("POST", "/user/profile", nil, body)
end
