-- wrk -s auth.lua: a bearer token from $TOKEN, and paths from $KIND (page: $skip walks the set)
-- A quick benchmark helper (bench/serve-quick): KIND=page|filter|count TOKEN=… wrk -s auth.lua URL
local token = os.getenv("TOKEN") or ""
local kind = os.getenv("KIND") or "page"
local base = "/odata/v4/catalog/MessageFacts"
local n = 0
request = function()
  local path
  if kind == "page" then
    path = base .. "?$top=1000&$skip=" .. ((n % 80) * 1000)
  elseif kind == "filter" then
    path = base .. "?$filter=(nlp_status%20eq%20200%20and%20input_message_type%20eq%20'text')%20or%20top_intent_confidence%20gt%200.9&$orderby=received_at%20desc&$top=100"
  else
    path = base .. "?$count=true&$top=0"
  end
  n = n + 1
  local headers = {}
  if token ~= "" then headers["Authorization"] = "Bearer " .. token end
  return wrk.format("GET", path, headers)
end
