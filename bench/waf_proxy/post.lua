-- wrk script: a 300-byte form POST with different values and session cookie per request
-- (browser headers stay the same), as a sign-up or comment form sends it.
local words = {"running", "trail", "leather", "summer", "winter", "kids", "sale", "new", "black", "red"}
wrk.method = "POST"
wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
wrk.headers["Accept"] = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
wrk.headers["Accept-Language"] = "en-GB,en;q=0.9"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
request = function()
  local w = words[math.random(#words)]
  local body = "name=Ada+" .. w .. math.random(100000) .. "&email=ada" .. math.random(100000) .. "%40example.com"
    .. "&comment=I+would+like+the+" .. w .. "+shoes+in+size+" .. math.random(36, 47)
    .. "+please+send+them+to+the+usual+address+before+Friday+if+possible+thanks"
    .. "&newsletter=yes&page=" .. math.random(500)
  body = body .. "&pad=" .. string.rep("x", 300 - #body - 5)
  wrk.headers["Cookie"] = string.format("session=%08x%08x; theme=dark", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))
  return wrk.format("POST", "/user/profile", nil, body)
end
