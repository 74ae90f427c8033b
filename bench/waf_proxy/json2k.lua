-- wrk script: a ~2 KB JSON POST (an order with items, an address and a note) whose values and
-- session cookie differ per request, as an API client sends it.
local words = {"running", "trail", "leather", "summer", "winter", "kids", "sale", "new", "black", "red",
               "blue", "green", "cotton", "wool", "light", "heavy", "classic", "sport", "travel", "home"}
wrk.method = "POST"
wrk.headers["User-Agent"] = "shop-client/2.4 (+https://example.com)"
wrk.headers["Accept"] = "application/json"
wrk.headers["Content-Type"] = "application/json"
local function w() return words[math.random(#words)] end
request = function()
  local items = {}
  for i = 1, 12 do
    items[i] = string.format('{"sku":"%s-%d","name":"%s %s shoes","qty":%d,"price":%d.%02d,"tags":["%s","%s"]}',
      w(), math.random(100000), w(), w(), math.random(1, 5), math.random(10, 300), math.random(0, 99), w(), w())
  end
  local body = string.format('{"order_id":"%08x","customer":{"name":"Ada %s","email":"ada%d@example.com",'
    .. '"address":{"street":"%d %s Street","city":"Springfield","zip":"%05d","country":"GB"}},'
    .. '"items":[%s],"note":"Please deliver the %s parcel to the side door before Friday if possible, thanks",'
    .. '"gift":%s,"page":%d}',
    math.random(0, 0x7fffffff), w(), math.random(100000), math.random(1, 999), w(), math.random(0, 99999),
    table.concat(items, ","), w(), math.random(0, 1) == 1 and "true" or "false", math.random(500))
  wrk.headers["Cookie"] = string.format("session=%08x%08x; theme=dark", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))
  return wrk.format("POST", "/user/orders", nil, body)
end
