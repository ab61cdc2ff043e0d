"""parallel cases: independent calls, the same function twice or more, or different functions."""

from __future__ import annotations

from bench.plan_cases import Call, Case, OneOf

# --- OpenWeatherMap ---
OWM_CURRENT = {
    "name": "get_current_weather",
    "description": "Current weather for a city (OpenWeatherMap /data/2.5/weather).",
    "parameters": {
        "type": "object",
        "properties": {
            "q": {
                "type": "string",
                "description": (
                    "City name, optionally with country code: '{city name},{country code}'"
                ),
            },
            "units": {
                "type": "string",
                "enum": ["standard", "metric", "imperial"],
                "default": "standard",
                "description": "Units: standard (Kelvin), metric (Celsius), imperial (Fahrenheit)",
            },
            "lang": {"type": "string", "description": "Language code for the description"},
        },
        "required": ["q"],
    },
}
OWM_AIR = {
    "name": "get_air_pollution",
    "description": "Current air pollution (AQI, CO, NO2, O3, PM2.5, PM10) at a point "
    "(OpenWeatherMap /data/2.5/air_pollution).",
    "parameters": {
        "type": "object",
        "properties": {
            "lat": {"type": "number", "description": "Latitude"},
            "lon": {"type": "number", "description": "Longitude"},
        },
        "required": ["lat", "lon"],
    },
}

# --- Open-Meteo ---
_OM_DAILY = [
    "temperature_2m_max",
    "temperature_2m_min",
    "precipitation_sum",
    "precipitation_probability_max",
    "wind_speed_10m_max",
    "sunrise",
    "sunset",
]
_OM_HOURLY = [
    "temperature_2m",
    "relative_humidity_2m",
    "precipitation",
    "wind_speed_10m",
    "cloud_cover",
]
OPENMETEO_FORECAST = {
    "name": "openmeteo_forecast",
    "description": "Weather forecast for a coordinate (Open-Meteo /v1/forecast).",
    "parameters": {
        "type": "object",
        "properties": {
            "latitude": {"type": "number", "description": "WGS84 latitude"},
            "longitude": {"type": "number", "description": "WGS84 longitude"},
            "daily": {
                "type": "array",
                "items": {"type": "string", "enum": _OM_DAILY},
                "description": "Daily weather variables to return",
            },
            "hourly": {
                "type": "array",
                "items": {"type": "string", "enum": _OM_HOURLY},
                "description": "Hourly weather variables to return",
            },
            "temperature_unit": {
                "type": "string",
                "enum": ["celsius", "fahrenheit"],
                "default": "celsius",
                "description": "Temperature unit",
            },
            "timezone": {
                "type": "string",
                "description": "Time zone name, e.g. Europe/Berlin, or auto",
            },
            "forecast_days": {
                "type": "integer",
                "default": 7,
                "minimum": 0,
                "maximum": 16,
                "description": "Number of forecast days",
            },
        },
        "required": ["latitude", "longitude"],
    },
}
OPENMETEO_AIR = {
    "name": "openmeteo_air_quality",
    "description": "Air quality forecast for a coordinate (Open-Meteo /v1/air-quality).",
    "parameters": {
        "type": "object",
        "properties": {
            "latitude": {"type": "number", "description": "WGS84 latitude"},
            "longitude": {"type": "number", "description": "WGS84 longitude"},
            "hourly": {
                "type": "array",
                "items": {
                    "type": "string",
                    "enum": [
                        "pm10",
                        "pm2_5",
                        "carbon_monoxide",
                        "nitrogen_dioxide",
                        "ozone",
                        "european_aqi",
                        "us_aqi",
                    ],
                },
                "description": "Hourly air quality variables to return",
            },
            "timezone": {"type": "string", "description": "Time zone name or auto"},
            "forecast_days": {
                "type": "integer",
                "default": 5,
                "minimum": 0,
                "maximum": 7,
                "description": "Number of forecast days",
            },
        },
        "required": ["latitude", "longitude"],
    },
}

# --- Frankfurter ---
FRANKFURTER_LATEST = {
    "name": "frankfurter_latest_rates",
    "description": "Latest ECB reference exchange rates (Frankfurter /v1/latest).",
    "parameters": {
        "type": "object",
        "properties": {
            "base": {
                "type": "string",
                "default": "EUR",
                "description": "Base currency, three-letter ISO 4217 code",
            },
            "symbols": {
                "type": "string",
                "description": "Comma-separated currency codes to return, e.g. USD,GBP",
            },
            "amount": {
                "type": "number",
                "default": 1,
                "description": "Amount of base currency to convert",
            },
        },
    },
}
FRANKFURTER_HISTORICAL = {
    "name": "frankfurter_historical_rates",
    "description": "ECB reference exchange rates on a past date (Frankfurter /v1/{date}).",
    "parameters": {
        "type": "object",
        "properties": {
            "date": {"type": "string", "description": "Date, YYYY-MM-DD"},
            "base": {
                "type": "string",
                "default": "EUR",
                "description": "Base currency, three-letter ISO 4217 code",
            },
            "symbols": {
                "type": "string",
                "description": "Comma-separated currency codes to return",
            },
            "amount": {
                "type": "number",
                "default": 1,
                "description": "Amount of base currency to convert",
            },
        },
        "required": ["date"],
    },
}

# --- REST Countries ---
RC_NAME = {
    "name": "restcountries_by_name",
    "description": "Countries matching a name: capital, population, currencies, languages, "
    "region... (REST Countries /v3.1/name/{name}).",
    "parameters": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "Common or official country name"},
            "fullText": {
                "type": "boolean",
                "default": False,
                "description": "Match the full name exactly",
            },
        },
        "required": ["name"],
    },
}
RC_CURRENCY = {
    "name": "restcountries_by_currency",
    "description": "Countries that use a currency (REST Countries /v3.1/currency/{currency}).",
    "parameters": {
        "type": "object",
        "properties": {
            "currency": {
                "type": "string",
                "description": "Currency code or name, e.g. cop or peso",
            },
        },
        "required": ["currency"],
    },
}

# --- GitHub REST ---
_GH_OWNER = {
    "type": "string",
    "description": "Account owner of the repository (not case sensitive)",
}
_GH_REPO = {"type": "string", "description": "Repository name without the .git extension"}
GH_LIST_ISSUES = {
    "name": "github_list_issues",
    "description": "List issues in a repository (GitHub GET /repos/{owner}/{repo}/issues).",
    "parameters": {
        "type": "object",
        "properties": {
            "owner": _GH_OWNER,
            "repo": _GH_REPO,
            "state": {
                "type": "string",
                "enum": ["open", "closed", "all"],
                "default": "open",
                "description": "Issue state",
            },
            "labels": {"type": "string", "description": "Comma-separated label names"},
            "assignee": {"type": "string", "description": "Login of the assignee, none or *"},
            "sort": {
                "type": "string",
                "enum": ["created", "updated", "comments"],
                "default": "created",
                "description": "What to sort by",
            },
            "direction": {
                "type": "string",
                "enum": ["asc", "desc"],
                "default": "desc",
                "description": "Sort direction",
            },
            "per_page": {
                "type": "integer",
                "default": 30,
                "maximum": 100,
                "description": "Results per page (max 100)",
            },
        },
        "required": ["owner", "repo"],
    },
}
GH_GET_REPO = {
    "name": "github_get_repo",
    "description": "Get a repository: description, stars, forks, default branch, license "
    "(GitHub GET /repos/{owner}/{repo}).",
    "parameters": {
        "type": "object",
        "properties": {"owner": _GH_OWNER, "repo": _GH_REPO},
        "required": ["owner", "repo"],
    },
}
GH_LIST_PULLS = {
    "name": "github_list_pulls",
    "description": "List pull requests (GitHub GET /repos/{owner}/{repo}/pulls).",
    "parameters": {
        "type": "object",
        "properties": {
            "owner": _GH_OWNER,
            "repo": _GH_REPO,
            "state": {
                "type": "string",
                "enum": ["open", "closed", "all"],
                "default": "open",
                "description": "Pull request state",
            },
            "base": {"type": "string", "description": "Filter by base branch name"},
            "sort": {
                "type": "string",
                "enum": ["created", "updated", "popularity", "long-running"],
                "default": "created",
                "description": "What to sort by",
            },
            "per_page": {
                "type": "integer",
                "default": 30,
                "maximum": 100,
                "description": "Results per page (max 100)",
            },
        },
        "required": ["owner", "repo"],
    },
}

# --- CoinGecko ---
CG_MARKET_CHART = {
    "name": "coingecko_market_chart",
    "description": "Historical price, market cap and volume of a coin "
    "(CoinGecko /coins/{id}/market_chart).",
    "parameters": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "Coin API id, e.g. bitcoin"},
            "vs_currency": {"type": "string", "description": "Target currency, e.g. usd"},
            "days": {
                "type": "string",
                "description": "Data up to this many days ago: 1, 7, 30, 365 or max",
            },
            "interval": {
                "type": "string",
                "enum": ["daily"],
                "description": "Data interval; leave empty for automatic granularity",
            },
        },
        "required": ["id", "vs_currency", "days"],
    },
}
CG_SIMPLE_PRICE = {
    "name": "coingecko_simple_price",
    "description": "Current price of coins in other currencies (CoinGecko /simple/price).",
    "parameters": {
        "type": "object",
        "properties": {
            "ids": {
                "type": "string",
                "description": "Comma-separated coin ids, e.g. bitcoin,ethereum",
            },
            "vs_currencies": {
                "type": "string",
                "description": "Comma-separated target currencies, e.g. usd,eur",
            },
            "include_market_cap": {
                "type": "boolean",
                "default": False,
                "description": "Include market cap",
            },
            "include_24hr_change": {
                "type": "boolean",
                "default": False,
                "description": "Include 24h price change",
            },
        },
        "required": ["ids", "vs_currencies"],
    },
}
CG_TRENDING = {
    "name": "coingecko_trending",
    "description": "Top trending coins, NFTs and categories on CoinGecko in the last 24 hours "
    "(CoinGecko /search/trending).",
    "parameters": {"type": "object", "properties": {}},
}

# --- Alpha Vantage ---
AV_QUOTE = {
    "name": "alphavantage_global_quote",
    "description": "Latest price and volume of a ticker (Alpha Vantage function=GLOBAL_QUOTE).",
    "parameters": {
        "type": "object",
        "properties": {
            "symbol": {"type": "string", "description": "Ticker symbol, e.g. IBM"},
            "datatype": {
                "type": "string",
                "enum": ["json", "csv"],
                "default": "json",
                "description": "Response format",
            },
        },
        "required": ["symbol"],
    },
}

# --- PokeAPI ---
POKE_POKEMON = {
    "name": "pokeapi_get_pokemon",
    "description": (
        "A Pokemon's types, abilities, stats and sprites (PokeAPI /api/v2/pokemon/{id or name})."
    ),
    "parameters": {
        "type": "object",
        "properties": {"name": {"type": "string", "description": "Pokemon name (lowercase) or id"}},
        "required": ["name"],
    },
}
POKE_TYPE = {
    "name": "pokeapi_get_type",
    "description": (
        "A type's damage relations and the Pokemon that have it (PokeAPI "
        "/api/v2/type/{id or name})."
    ),
    "parameters": {
        "type": "object",
        "properties": {"name": {"type": "string", "description": "Type name (lowercase) or id"}},
        "required": ["name"],
    },
}

# --- Hacker News ---
HN_ITEM = {
    "name": "hn_get_item",
    "description": "A Hacker News item: story, comment, job, poll (/v0/item/{id}.json).",
    "parameters": {
        "type": "object",
        "properties": {"id": {"type": "integer", "description": "The item's unique id"}},
        "required": ["id"],
    },
}
HN_TOP = {
    "name": "hn_top_stories",
    "description": "Ids of up to 500 current top stories on Hacker News (/v0/topstories.json).",
    "parameters": {"type": "object", "properties": {}},
}
HN_USER = {
    "name": "hn_get_user",
    "description": "A Hacker News user: karma, about, created, submitted (/v0/user/{id}.json).",
    "parameters": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "The user's unique username (case-sensitive)"}
        },
        "required": ["id"],
    },
}

# --- Wikipedia REST ---
WIKI_SUMMARY = {
    "name": "wikipedia_page_summary",
    "description": "Short summary of a Wikipedia page: title, extract, thumbnail "
    "(Wikipedia REST /page/summary/{title}).",
    "parameters": {
        "type": "object",
        "properties": {
            "title": {"type": "string", "description": "Page title"},
            "redirect": {"type": "boolean", "default": True, "description": "Follow redirects"},
        },
        "required": ["title"],
    },
}

# --- TMDB ---
TMDB_MOVIE = {
    "name": "tmdb_search_movie",
    "description": (
        "Search movies by original, translated and alternative titles (TMDB /3/search/movie)."
    ),
    "parameters": {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "Text to search for"},
            "year": {"type": "integer", "description": "Release year"},
            "language": {
                "type": "string",
                "default": "en-US",
                "description": "ISO 639-1 language with region",
            },
            "include_adult": {
                "type": "boolean",
                "default": False,
                "description": "Include adult titles",
            },
            "page": {"type": "integer", "default": 1, "description": "Result page"},
        },
        "required": ["query"],
    },
}
TMDB_TV = {
    "name": "tmdb_search_tv",
    "description": "Search TV shows by name (TMDB /3/search/tv).",
    "parameters": {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "Text to search for"},
            "first_air_date_year": {"type": "integer", "description": "Year the show first aired"},
            "language": {
                "type": "string",
                "default": "en-US",
                "description": "ISO 639-1 language with region",
            },
            "page": {"type": "integer", "default": 1, "description": "Result page"},
        },
        "required": ["query"],
    },
}

# --- Slack Web API ---
SLACK_POST = {
    "name": "slack_post_message",
    "description": "Send a message to a channel (Slack chat.postMessage).",
    "parameters": {
        "type": "object",
        "properties": {
            "channel": {
                "type": "string",
                "description": "Channel, private group or IM channel id or name",
            },
            "text": {"type": "string", "description": "Message text"},
            "thread_ts": {
                "type": "string",
                "description": "Parent message ts, to reply in a thread",
            },
            "unfurl_links": {"type": "boolean", "description": "Unfurl text-based content"},
            "mrkdwn": {"type": "boolean", "default": True, "description": "Use Slack markup"},
        },
        "required": ["channel", "text"],
    },
}

# --- Nominatim ---
NOMINATIM_SEARCH = {
    "name": "nominatim_search",
    "description": "Look up a place or address by free-form text (Nominatim /search).",
    "parameters": {
        "type": "object",
        "properties": {
            "q": {"type": "string", "description": "Free-form query string"},
            "format": {
                "type": "string",
                "enum": ["xml", "json", "jsonv2", "geojson", "geocodejson"],
                "description": "Output format",
            },
            "limit": {
                "type": "integer",
                "default": 10,
                "maximum": 40,
                "description": "Maximum number of results",
            },
            "countrycodes": {
                "type": "string",
                "description": "Comma-separated ISO 3166-1 alpha-2 codes",
            },
            "addressdetails": {
                "type": "integer",
                "enum": [0, 1],
                "default": 0,
                "description": "Include an address breakdown",
            },
        },
        "required": ["q"],
    },
}

# --- Open Library ---
OL_SEARCH = {
    "name": "openlibrary_search",
    "description": "Search books (Open Library /search.json).",
    "parameters": {
        "type": "object",
        "properties": {
            "q": {"type": "string", "description": "Free-text query"},
            "title": {"type": "string", "description": "Search by title"},
            "author": {"type": "string", "description": "Search by author name"},
            "subject": {"type": "string", "description": "Search by subject"},
            "sort": {
                "type": "string",
                "enum": ["new", "old", "random", "key", "rating"],
                "description": "Sort order",
            },
            "limit": {"type": "integer", "description": "Number of results"},
        },
    },
}

# --- Twilio ---
TWILIO_SMS = {
    "name": "twilio_send_message",
    "description": "Send an SMS (Twilio POST /2010-04-01/Accounts/{AccountSid}/Messages.json).",
    "parameters": {
        "type": "object",
        "properties": {
            "To": {"type": "string", "description": "Recipient phone number, E.164"},
            "From": {"type": "string", "description": "Twilio sender phone number, E.164"},
            "Body": {"type": "string", "description": "Message text, up to 1600 characters"},
            "MediaUrl": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Media URLs (MMS)",
            },
        },
        "required": ["To", "From", "Body"],
    },
}

# --- Yelp Fusion ---
YELP_SEARCH = {
    "name": "yelp_business_search",
    "description": "Search businesses (Yelp Fusion GET /v3/businesses/search).",
    "parameters": {
        "type": "object",
        "properties": {
            "term": {"type": "string", "description": "Search term, e.g. food or a business name"},
            "location": {
                "type": "string",
                "description": "Address, neighborhood, city, state or zip",
            },
            "price": {
                "type": "array",
                "items": {"type": "integer", "enum": [1, 2, 3, 4]},
                "description": "Price levels, 1 = $ ... 4 = $$$$",
            },
            "open_now": {
                "type": "boolean",
                "default": False,
                "description": "Only businesses open now",
            },
            "sort_by": {
                "type": "string",
                "enum": ["best_match", "rating", "review_count", "distance"],
                "default": "best_match",
                "description": "Sort mode",
            },
            "limit": {
                "type": "integer",
                "default": 20,
                "maximum": 50,
                "description": "Number of results",
            },
        },
        "required": ["location"],
    },
}

# --- NASA / SpaceX ---
NASA_APOD = {
    "name": "nasa_apod",
    "description": "NASA Astronomy Picture of the Day (GET /planetary/apod); today's by default.",
    "parameters": {
        "type": "object",
        "properties": {
            "date": {
                "type": "string",
                "description": "Date of the image, YYYY-MM-DD (default today)",
            },
            "start_date": {"type": "string", "description": "Start of a date range, YYYY-MM-DD"},
            "end_date": {"type": "string", "description": "End of a date range, YYYY-MM-DD"},
            "count": {"type": "integer", "description": "Return this many random images"},
            "thumbs": {
                "type": "boolean",
                "default": False,
                "description": "Return a video thumbnail URL",
            },
        },
    },
}
SPACEX_LATEST = {
    "name": "spacex_latest_launch",
    "description": "The most recent SpaceX launch (GET /v5/launches/latest).",
    "parameters": {"type": "object", "properties": {}},
}
SPACEX_NEXT = {
    "name": "spacex_next_launch",
    "description": "The next upcoming SpaceX launch (GET /v5/launches/next).",
    "parameters": {"type": "object", "properties": {}},
}

# --- Trello ---
TRELLO_CARD = {
    "name": "trello_create_card",
    "description": "Create a card on a list (Trello POST /1/cards).",
    "parameters": {
        "type": "object",
        "properties": {
            "idList": {"type": "string", "description": "Id of the list the card goes on"},
            "name": {"type": "string", "description": "Card name"},
            "desc": {"type": "string", "description": "Card description"},
            "pos": {
                "type": "string",
                "enum": ["top", "bottom"],
                "description": "Position on the list",
            },
            "due": {"type": "string", "description": "Due date, ISO 8601"},
        },
        "required": ["idList"],
    },
}

# --- Dropbox ---
DBX_CREATE_FOLDER = {
    "name": "dropbox_create_folder",
    "description": "Create a folder at a path (Dropbox /2/files/create_folder_v2).",
    "parameters": {
        "type": "object",
        "properties": {
            "path": {
                "type": "string",
                "description": "Path in the user's Dropbox, e.g. /Homework/math",
            },
            "autorename": {
                "type": "boolean",
                "default": False,
                "description": "Rename if the path already exists",
            },
        },
        "required": ["path"],
    },
}
DBX_LIST_FOLDER = {
    "name": "dropbox_list_folder",
    "description": "List a folder's contents (Dropbox /2/files/list_folder).",
    "parameters": {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "Folder path; empty string for the root"},
            "recursive": {
                "type": "boolean",
                "default": False,
                "description": "List subfolders too",
            },
            "limit": {"type": "integer", "description": "Maximum entries per response"},
        },
        "required": ["path"],
    },
}

# --- Spotify Web API ---
SPOTIFY_SEARCH = {
    "name": "spotify_search",
    "description": "Search the Spotify catalog (GET /v1/search).",
    "parameters": {
        "type": "object",
        "properties": {
            "q": {
                "type": "string",
                "description": "Search query; field filters like artist: or year: allowed",
            },
            "type": {
                "type": "array",
                "items": {
                    "type": "string",
                    "enum": [
                        "album",
                        "artist",
                        "playlist",
                        "track",
                        "show",
                        "episode",
                        "audiobook",
                    ],
                },
                "description": "Item types to search across",
            },
            "market": {"type": "string", "description": "ISO 3166-1 alpha-2 country code"},
            "limit": {
                "type": "integer",
                "default": 20,
                "maximum": 50,
                "description": "Results per type",
            },
        },
        "required": ["q", "type"],
    },
}
SPOTIFY_TOP_TRACKS = {
    "name": "spotify_artist_top_tracks",
    "description": "An artist's top tracks by country (GET /v1/artists/{id}/top-tracks).",
    "parameters": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "Spotify artist id"},
            "market": {"type": "string", "description": "ISO 3166-1 alpha-2 country code"},
        },
        "required": ["id"],
    },
}

# --- Google Calendar ---
GCAL_QUICK_ADD = {
    "name": "gcal_quick_add",
    "description": "Create an event from a text string (Google Calendar events.quickAdd).",
    "parameters": {
        "type": "object",
        "properties": {
            "calendarId": {
                "type": "string",
                "description": "Calendar id; 'primary' for the user's main calendar",
            },
            "text": {"type": "string", "description": "Text describing the event"},
            "sendUpdates": {
                "type": "string",
                "enum": ["all", "externalOnly", "none"],
                "description": "Who gets notified",
            },
        },
        "required": ["calendarId", "text"],
    },
}
GCAL_LIST_EVENTS = {
    "name": "gcal_list_events",
    "description": "List events on a calendar (Google Calendar events.list).",
    "parameters": {
        "type": "object",
        "properties": {
            "calendarId": {
                "type": "string",
                "description": "Calendar id; 'primary' for the user's main calendar",
            },
            "q": {
                "type": "string",
                "description": "Free text search in summary, description, location...",
            },
            "timeMin": {
                "type": "string",
                "description": "Lower bound (RFC3339) for an event's end time",
            },
            "timeMax": {
                "type": "string",
                "description": "Upper bound (RFC3339) for an event's start time",
            },
            "maxResults": {
                "type": "integer",
                "default": 250,
                "description": "Maximum events returned",
            },
            "singleEvents": {
                "type": "boolean",
                "default": False,
                "description": "Expand recurring events",
            },
            "orderBy": {
                "type": "string",
                "enum": ["startTime", "updated"],
                "description": "Order of events",
            },
        },
        "required": ["calendarId"],
    },
}

# --- Stripe ---
STRIPE_CUSTOMER = {
    "name": "stripe_create_customer",
    "description": "Create a customer (Stripe POST /v1/customers).",
    "parameters": {
        "type": "object",
        "properties": {
            "email": {"type": "string", "description": "Customer's email address"},
            "name": {"type": "string", "description": "Customer's full name or business name"},
            "phone": {"type": "string", "description": "Customer's phone number"},
            "description": {"type": "string", "description": "Arbitrary description"},
        },
    },
}
STRIPE_PRODUCT = {
    "name": "stripe_create_product",
    "description": "Create a product (Stripe POST /v1/products).",
    "parameters": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "Product name shown to customers"},
            "description": {"type": "string", "description": "Product description"},
            "active": {"type": "boolean", "default": True, "description": "Available for purchase"},
            "url": {"type": "string", "description": "Public URL of the product"},
        },
        "required": ["name"],
    },
}

# --- Jira Cloud REST v2 ---
JIRA_GET_ISSUE = {
    "name": "jira_get_issue",
    "description": "Get an issue (Jira GET /rest/api/2/issue/{issueIdOrKey}).",
    "parameters": {
        "type": "object",
        "properties": {
            "issueIdOrKey": {"type": "string", "description": "Issue id or key, e.g. PROJ-12"},
            "fields": {"type": "string", "description": "Comma-separated fields to return"},
            "expand": {
                "type": "string",
                "description": "Comma-separated entities to expand, e.g. changelog",
            },
        },
        "required": ["issueIdOrKey"],
    },
}
JIRA_ADD_COMMENT = {
    "name": "jira_add_comment",
    "description": (
        "Add a comment to an issue (Jira POST /rest/api/2/issue/{issueIdOrKey}/comment)."
    ),
    "parameters": {
        "type": "object",
        "properties": {
            "issueIdOrKey": {"type": "string", "description": "Issue id or key"},
            "body": {"type": "string", "description": "Comment text"},
        },
        "required": ["issueIdOrKey", "body"],
    },
}

# --- YouTube Data API v3 ---
YT_SEARCH = {
    "name": "youtube_search",
    "description": "Search videos, channels and playlists (YouTube Data API search.list).",
    "parameters": {
        "type": "object",
        "properties": {
            "part": {"type": "string", "description": "Resource parts to return; must be snippet"},
            "q": {"type": "string", "description": "Query term"},
            "type": {
                "type": "string",
                "enum": ["video", "channel", "playlist"],
                "description": "Resource type to return",
            },
            "maxResults": {
                "type": "integer",
                "default": 5,
                "minimum": 0,
                "maximum": 50,
                "description": "Number of items returned",
            },
            "order": {
                "type": "string",
                "enum": ["date", "rating", "relevance", "title", "videoCount", "viewCount"],
                "default": "relevance",
                "description": "Sort order",
            },
            "regionCode": {"type": "string", "description": "ISO 3166-1 alpha-2 country code"},
        },
        "required": ["part"],
    },
}
YT_CHANNELS = {
    "name": "youtube_channels_list",
    "description": "Get channels by id or handle: snippet, statistics (subscribers, views) "
    "(YouTube Data API channels.list).",
    "parameters": {
        "type": "object",
        "properties": {
            "part": {
                "type": "string",
                "description": (
                    "Comma-separated parts: snippet, statistics, contentDetails, brandingSettings"
                ),
            },
            "id": {"type": "string", "description": "Comma-separated channel ids"},
            "forHandle": {
                "type": "string",
                "description": "A channel handle, e.g. @GoogleDevelopers",
            },
        },
        "required": ["part"],
    },
}

# --- Zoom ---
ZOOM_CREATE = {
    "name": "zoom_create_meeting",
    "description": "Create a meeting for a user (Zoom POST /users/{userId}/meetings).",
    "parameters": {
        "type": "object",
        "properties": {
            "userId": {
                "type": "string",
                "description": "User id or email; 'me' for the current user",
            },
            "topic": {"type": "string", "description": "Meeting topic"},
            "type": {
                "type": "integer",
                "enum": [1, 2, 3, 8],
                "default": 2,
                "description": (
                    "1 instant, 2 scheduled, 3 recurring with no fixed time, 8 recurring fixed time"
                ),
            },
            "start_time": {"type": "string", "description": "Start time, yyyy-MM-ddTHH:mm:ss"},
            "duration": {"type": "integer", "description": "Duration in minutes"},
            "timezone": {"type": "string", "description": "Time zone, e.g. America/Los_Angeles"},
            "agenda": {"type": "string", "description": "Meeting description"},
        },
        "required": ["userId"],
    },
}
ZOOM_LIST = {
    "name": "zoom_list_meetings",
    "description": "List a user's meetings (Zoom GET /users/{userId}/meetings).",
    "parameters": {
        "type": "object",
        "properties": {
            "userId": {
                "type": "string",
                "description": "User id or email; 'me' for the current user",
            },
            "type": {
                "type": "string",
                "enum": ["scheduled", "live", "upcoming", "upcoming_meetings", "previous_meetings"],
                "default": "scheduled",
                "description": "Which meetings",
            },
            "page_size": {
                "type": "integer",
                "default": 30,
                "maximum": 300,
                "description": "Records per page",
            },
        },
        "required": ["userId"],
    },
}

# --- Shopify Admin REST ---
SHOPIFY_PRODUCTS = {
    "name": "shopify_list_products",
    "description": "List products (Shopify Admin GET /admin/api/2024-01/products.json).",
    "parameters": {
        "type": "object",
        "properties": {
            "limit": {
                "type": "integer",
                "default": 50,
                "maximum": 250,
                "description": "Results to show",
            },
            "status": {
                "type": "string",
                "enum": ["active", "archived", "draft"],
                "description": "Product status",
            },
            "vendor": {"type": "string", "description": "Filter by vendor"},
            "product_type": {"type": "string", "description": "Filter by product type"},
            "collection_id": {"type": "integer", "description": "Filter by collection id"},
        },
    },
}
SHOPIFY_ORDER_COUNT = {
    "name": "shopify_count_orders",
    "description": "Count orders (Shopify Admin GET /admin/api/2024-01/orders/count.json).",
    "parameters": {
        "type": "object",
        "properties": {
            "status": {
                "type": "string",
                "enum": ["open", "closed", "any"],
                "default": "open",
                "description": "Order status",
            },
            "financial_status": {
                "type": "string",
                "enum": [
                    "authorized",
                    "pending",
                    "paid",
                    "refunded",
                    "voided",
                    "partially_refunded",
                    "any",
                    "unpaid",
                ],
                "default": "any",
                "description": "Financial status",
            },
            "fulfillment_status": {
                "type": "string",
                "enum": ["shipped", "partial", "unshipped", "any", "unfulfilled"],
                "default": "any",
                "description": "Fulfillment status",
            },
        },
    },
}

# --- Mailchimp Marketing ---
MC_ADD_MEMBER = {
    "name": "mailchimp_add_member",
    "description": "Add a contact to an audience (Mailchimp POST /lists/{list_id}/members).",
    "parameters": {
        "type": "object",
        "properties": {
            "list_id": {"type": "string", "description": "Unique id of the audience (list)"},
            "email_address": {"type": "string", "description": "Email address of the subscriber"},
            "status": {
                "type": "string",
                "enum": ["subscribed", "unsubscribed", "cleaned", "pending", "transactional"],
                "description": "Subscriber's status",
            },
            "tags": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Tags for the member",
            },
            "language": {"type": "string", "description": "Subscriber's language"},
        },
        "required": ["list_id", "email_address", "status"],
    },
}
MC_GET_LIST = {
    "name": "mailchimp_get_list",
    "description": "Get an audience's settings and stats (Mailchimp GET /lists/{list_id}).",
    "parameters": {
        "type": "object",
        "properties": {
            "list_id": {"type": "string", "description": "Unique id of the audience (list)"}
        },
        "required": ["list_id"],
    },
}

# --- Discord ---
DISCORD_MESSAGE = {
    "name": "discord_create_message",
    "description": "Post a message to a channel (Discord POST /channels/{channel.id}/messages).",
    "parameters": {
        "type": "object",
        "properties": {
            "channel_id": {"type": "string", "description": "Channel snowflake id"},
            "content": {"type": "string", "description": "Message contents, up to 2000 characters"},
            "tts": {"type": "boolean", "default": False, "description": "Text-to-speech message"},
        },
        "required": ["channel_id"],
    },
}
DISCORD_REACTION = {
    "name": "discord_create_reaction",
    "description": "React to a message (Discord PUT /channels/{channel.id}/messages/{message.id}"
    "/reactions/{emoji}/@me).",
    "parameters": {
        "type": "object",
        "properties": {
            "channel_id": {"type": "string", "description": "Channel snowflake id"},
            "message_id": {"type": "string", "description": "Message snowflake id"},
            "emoji": {
                "type": "string",
                "description": "Unicode emoji, or name:id for a custom emoji",
            },
        },
        "required": ["channel_id", "message_id", "emoji"],
    },
}

# --- Mapbox Geocoding v6 ---
MAPBOX_FORWARD = {
    "name": "mapbox_forward_geocode",
    "description": "Address or place to coordinates (Mapbox /search/geocode/v6/forward).",
    "parameters": {
        "type": "object",
        "properties": {
            "q": {"type": "string", "description": "Search text: an address, place or postcode"},
            "country": {
                "type": "string",
                "description": "Comma-separated ISO 3166 alpha-2 country codes",
            },
            "limit": {
                "type": "integer",
                "default": 5,
                "minimum": 1,
                "maximum": 10,
                "description": "Max results",
            },
            "language": {"type": "string", "description": "IETF language tag"},
            "proximity": {
                "type": "string",
                "description": "Bias results near 'longitude,latitude' or 'ip'",
            },
        },
        "required": ["q"],
    },
}
MAPBOX_REVERSE = {
    "name": "mapbox_reverse_geocode",
    "description": "Coordinates to address or place (Mapbox /search/geocode/v6/reverse).",
    "parameters": {
        "type": "object",
        "properties": {
            "longitude": {"type": "number", "description": "Longitude"},
            "latitude": {"type": "number", "description": "Latitude"},
            "types": {
                "type": "string",
                "description": "Comma-separated feature types, e.g. address,place",
            },
            "language": {"type": "string", "description": "IETF language tag"},
        },
        "required": ["longitude", "latitude"],
    },
}

# --- Airtable ---
AIRTABLE_LIST = {
    "name": "airtable_list_records",
    "description": "List records in a table (Airtable GET /v0/{baseId}/{tableIdOrName}).",
    "parameters": {
        "type": "object",
        "properties": {
            "baseId": {"type": "string", "description": "Base id, starts with app"},
            "tableIdOrName": {"type": "string", "description": "Table id or name"},
            "view": {
                "type": "string",
                "description": "View name or id; records in that view's order",
            },
            "maxRecords": {"type": "integer", "description": "Maximum total records returned"},
            "pageSize": {
                "type": "integer",
                "default": 100,
                "maximum": 100,
                "description": "Records per page",
            },
            "filterByFormula": {"type": "string", "description": "Formula a record must satisfy"},
        },
        "required": ["baseId", "tableIdOrName"],
    },
}
AIRTABLE_GET = {
    "name": "airtable_get_record",
    "description": "Get one record (Airtable GET /v0/{baseId}/{tableIdOrName}/{recordId}).",
    "parameters": {
        "type": "object",
        "properties": {
            "baseId": {"type": "string", "description": "Base id, starts with app"},
            "tableIdOrName": {"type": "string", "description": "Table id or name"},
            "recordId": {"type": "string", "description": "Record id, starts with rec"},
        },
        "required": ["baseId", "tableIdOrName", "recordId"],
    },
}


CASES: list[Case] = [
    # ---------------- the same function, different arguments ----------------
    Case(
        id="parallel-owm-1",
        category="parallel",
        source="https://openweathermap.org/current",
        question="Whats the weather like right now in Reykjavik, Nairobi, Hanoi and Montevideo? "
        "celsius please",
        functions=[OWM_CURRENT],
        expected=[
            Call(
                "get_current_weather",
                {"q": OneOf(("Reykjavik", "Reykjavik,IS")), "units": "metric"},
            ),
            Call("get_current_weather", {"q": OneOf(("Nairobi", "Nairobi,KE")), "units": "metric"}),
            Call("get_current_weather", {"q": OneOf(("Hanoi", "Hanoi,VN")), "units": "metric"}),
            Call(
                "get_current_weather",
                {"q": OneOf(("Montevideo", "Montevideo,UY")), "units": "metric"},
            ),
        ],
    ),
    Case(
        id="parallel-openmeteo-1",
        category="parallel",
        source="https://open-meteo.com/en/docs",
        question="I'm choosing between two campsites, one at 46.5547, 7.9797 and the other at "
        "47.2692, 11.4041. Can you pull the daily max and min temperatures for the next 3 days at "
        "both?",
        functions=[OPENMETEO_FORECAST, OPENMETEO_AIR],
        expected=[
            Call(
                "openmeteo_forecast",
                {
                    "latitude": 46.5547,
                    "longitude": 7.9797,
                    "daily": ["temperature_2m_max", "temperature_2m_min"],
                    "forecast_days": 3,
                },
            ),
            Call(
                "openmeteo_forecast",
                {
                    "latitude": 47.2692,
                    "longitude": 11.4041,
                    "daily": ["temperature_2m_max", "temperature_2m_min"],
                    "forecast_days": 3,
                },
            ),
        ],
    ),
    Case(
        id="parallel-frankfurter-1",
        category="parallel",
        source="https://frankfurter.dev/",
        question="How much is 250 US dollars in euros? And separately, what would 1200 Swedish "
        "kronor "
        "get me in Norwegian kroner?",
        functions=[FRANKFURTER_LATEST],
        expected=[
            Call("frankfurter_latest_rates", {"base": "USD", "symbols": "EUR", "amount": 250}),
            Call("frankfurter_latest_rates", {"base": "SEK", "symbols": "NOK", "amount": 1200}),
        ],
    ),
    Case(
        id="parallel-restcountries-1",
        category="parallel",
        source="https://restcountries.com/",
        question="For a geography quiz I'm writing: what are the population and capital of Kenya, "
        "Peru and Vietnam?",
        functions=[RC_NAME, RC_CURRENCY],
        expected=[
            Call("restcountries_by_name", {"name": "Kenya"}),
            Call("restcountries_by_name", {"name": "Peru"}),
            Call("restcountries_by_name", {"name": OneOf(("Vietnam", "Viet Nam"))}),
        ],
    ),
    Case(
        id="parallel-github-1",
        category="parallel",
        source="https://docs.github.com/en/rest/issues/issues#list-repository-issues",
        question="show me the open issues labeled bug in both pandas-dev/pandas and numpy/numpy",
        functions=[GH_GET_REPO, GH_LIST_ISSUES, GH_LIST_PULLS],
        expected=[
            Call(
                "github_list_issues",
                {"owner": "pandas-dev", "repo": "pandas", "state": "open", "labels": "bug"},
            ),
            Call(
                "github_list_issues",
                {"owner": "numpy", "repo": "numpy", "state": "open", "labels": "bug"},
            ),
        ],
    ),
    Case(
        id="parallel-coingecko-1",
        category="parallel",
        source="https://docs.coingecko.com/reference/coins-id-market-chart",
        question="Grab the last 30 days of price history for bitcoin and for ethereum, priced in "
        "USD.",
        functions=[CG_MARKET_CHART, CG_SIMPLE_PRICE],
        expected=[
            Call("coingecko_market_chart", {"id": "bitcoin", "vs_currency": "usd", "days": "30"}),
            Call("coingecko_market_chart", {"id": "ethereum", "vs_currency": "usd", "days": "30"}),
        ],
        notes="days is a string in the API (it also takes 'max'); an answer may give the number 30",
    ),
    Case(
        id="parallel-alphavantage-1",
        category="parallel",
        source="https://www.alphavantage.co/documentation/#latestprice",
        question="quick: current quotes for AAPL, MSFT and NVDA",
        functions=[AV_QUOTE],
        expected=[
            Call("alphavantage_global_quote", {"symbol": "AAPL"}),
            Call("alphavantage_global_quote", {"symbol": "MSFT"}),
            Call("alphavantage_global_quote", {"symbol": "NVDA"}),
        ],
    ),
    Case(
        id="parallel-pokeapi-1",
        category="parallel",
        source="https://pokeapi.co/docs/v2#pokemon",
        question="my kid wants to compare pikachu, charizard and gengar. can u look up all three?",
        functions=[POKE_POKEMON, POKE_TYPE],
        expected=[
            Call("pokeapi_get_pokemon", {"name": "pikachu"}),
            Call("pokeapi_get_pokemon", {"name": "charizard"}),
            Call("pokeapi_get_pokemon", {"name": "gengar"}),
        ],
    ),
    Case(
        id="parallel-hackernews-1",
        category="parallel",
        source="https://github.com/HackerNews/API",
        question="Pull up Hacker News items 8863 and 2921983 for me.",
        functions=[HN_ITEM],
        expected=[
            Call("hn_get_item", {"id": 8863}),
            Call("hn_get_item", {"id": 2921983}),
        ],
    ),
    Case(
        id="parallel-wikipedia-1",
        category="parallel",
        source="https://en.wikipedia.org/api/rest_v1/#/Page%20content/get_page_summary__title_",
        question="I need short Wikipedia summaries of Ada Lovelace and Grace Hopper for a slide "
        "deck on "
        "women in computing. Nothing fancy.",
        functions=[WIKI_SUMMARY],
        expected=[
            Call("wikipedia_page_summary", {"title": OneOf(("Ada Lovelace", "Ada_Lovelace"))}),
            Call("wikipedia_page_summary", {"title": OneOf(("Grace Hopper", "Grace_Hopper"))}),
        ],
    ),
    Case(
        id="parallel-tmdb-1",
        category="parallel",
        source="https://developer.themoviedb.org/reference/search-movie",
        question="Search for Dune, both the 1984 Lynch film and the 2021 Villeneuve one.",
        functions=[TMDB_MOVIE, TMDB_TV],
        expected=[
            Call("tmdb_search_movie", {"query": "Dune", "year": 1984}),
            Call("tmdb_search_movie", {"query": "Dune", "year": 2021}),
        ],
    ),
    Case(
        id="parallel-slack-1",
        category="parallel",
        source="https://api.slack.com/methods/chat.postMessage",
        question='Post "Deploy freeze starts at 5pm today, no merges to main after that." in both '
        "#engineering and #releases",
        functions=[SLACK_POST],
        expected=[
            Call(
                "slack_post_message",
                {
                    "channel": OneOf(("#engineering", "engineering")),
                    "text": "Deploy freeze starts at 5pm today, no merges to main after that.",
                },
            ),
            Call(
                "slack_post_message",
                {
                    "channel": OneOf(("#releases", "releases")),
                    "text": "Deploy freeze starts at 5pm today, no merges to main after that.",
                },
            ),
        ],
    ),
    Case(
        id="parallel-nominatim-1",
        category="parallel",
        source="https://nominatim.org/release-docs/latest/api/Search/",
        question="Find coordinates for the Eiffel Tower and for the Colosseum. JSON output, and "
        "only the "
        "top result for each.",
        functions=[NOMINATIM_SEARCH],
        expected=[
            Call(
                "nominatim_search",
                {"q": "Eiffel Tower", "format": OneOf(("json", "jsonv2")), "limit": 1},
            ),
            Call(
                "nominatim_search",
                {"q": "Colosseum", "format": OneOf(("json", "jsonv2")), "limit": 1},
            ),
        ],
    ),
    Case(
        id="parallel-openlibrary-1",
        category="parallel",
        source="https://openlibrary.org/dev/docs/api/search",
        question="Looking for books by Ursula K. Le Guin and by Octavia E. Butler, 10 results for "
        "each author.",
        functions=[OL_SEARCH],
        expected=[
            Call(
                "openlibrary_search",
                {
                    "author": OneOf(("Ursula K. Le Guin", "Ursula K Le Guin", "Ursula Le Guin")),
                    "limit": 10,
                },
            ),
            Call(
                "openlibrary_search",
                {
                    "author": OneOf(("Octavia E. Butler", "Octavia E Butler", "Octavia Butler")),
                    "limit": 10,
                },
            ),
        ],
    ),
    Case(
        id="parallel-twilio-1",
        category="parallel",
        source=""
        "https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource",
        question="Text +14155550132 and +14155550178 from our number +14155550100: "
        '"Your table at Mirella\'s is ready."',
        functions=[TWILIO_SMS],
        expected=[
            Call(
                "twilio_send_message",
                {
                    "To": "+14155550132",
                    "From": "+14155550100",
                    "Body": "Your table at Mirella's is ready.",
                },
            ),
            Call(
                "twilio_send_message",
                {
                    "To": "+14155550178",
                    "From": "+14155550100",
                    "Body": "Your table at Mirella's is ready.",
                },
            ),
        ],
    ),
    Case(
        id="parallel-yelp-1",
        category="parallel",
        source="https://docs.developer.yelp.com/reference/v3_business_search",
        question="Planning a road trip next month. Find me the highest rated taco places in "
        "Austin, TX "
        "and ramen spots in Portland, OR, 5 of each.",
        functions=[YELP_SEARCH],
        expected=[
            Call(
                "yelp_business_search",
                {
                    "term": OneOf(("tacos", "taco", "taco places")),
                    "location": OneOf(("Austin, TX", "Austin TX", "Austin, Texas")),
                    "sort_by": "rating",
                    "limit": 5,
                },
            ),
            Call(
                "yelp_business_search",
                {
                    "term": OneOf(("ramen", "ramen spots")),
                    "location": OneOf(("Portland, OR", "Portland OR", "Portland, Oregon")),
                    "sort_by": "rating",
                    "limit": 5,
                },
            ),
        ],
    ),
    Case(
        id="parallel-nasa-1",
        category="parallel",
        source="https://api.nasa.gov/",
        question="Show me the astronomy picture of the day from my birthday, 1999-07-04, and the "
        "one from "
        "2015-07-14 when New Horizons flew past Pluto.",
        functions=[NASA_APOD],
        expected=[
            Call("nasa_apod", {"date": "1999-07-04"}),
            Call("nasa_apod", {"date": "2015-07-14"}),
        ],
    ),
    Case(
        id="parallel-trello-1",
        category="parallel",
        source="https://developer.atlassian.com/cloud/trello/rest/api-group-cards/#api-cards-post",
        question="Add three cards to my Trello list 5f1a2b3c4d5e6f7a8b9c0d1e: 'Book venue', "
        "'Send invites', 'Order cake'.",
        functions=[TRELLO_CARD],
        expected=[
            Call(
                "trello_create_card", {"idList": "5f1a2b3c4d5e6f7a8b9c0d1e", "name": "Book venue"}
            ),
            Call(
                "trello_create_card", {"idList": "5f1a2b3c4d5e6f7a8b9c0d1e", "name": "Send invites"}
            ),
            Call(
                "trello_create_card", {"idList": "5f1a2b3c4d5e6f7a8b9c0d1e", "name": "Order cake"}
            ),
        ],
    ),
    Case(
        id="parallel-dropbox-1",
        category="parallel",
        source=""
        "https://www.dropbox.com/developers/documentation/http/documentation#files-create_folder",
        question="make folders /Clients/Acme and /Clients/Globex in my dropbox",
        functions=[DBX_LIST_FOLDER, DBX_CREATE_FOLDER],
        expected=[
            Call("dropbox_create_folder", {"path": "/Clients/Acme"}),
            Call("dropbox_create_folder", {"path": "/Clients/Globex"}),
        ],
    ),
    Case(
        id="parallel-spotify-1",
        category="parallel",
        source="https://developer.spotify.com/documentation/web-api/reference/search",
        question="On Spotify, look up the artist Phoebe Bridgers, and also search for the album "
        "Rumours.",
        functions=[SPOTIFY_SEARCH, SPOTIFY_TOP_TRACKS],
        expected=[
            Call(
                "spotify_search",
                {"q": OneOf(("Phoebe Bridgers", "artist:Phoebe Bridgers")), "type": ["artist"]},
            ),
            Call("spotify_search", {"q": OneOf(("Rumours", "album:Rumours")), "type": ["album"]}),
        ],
    ),
    # ---------------- different functions ----------------
    Case(
        id="parallel-owm-2",
        category="parallel",
        source="https://openweathermap.org/api/air-pollution",
        question="It's super smoky out today. What's the current weather in Vancouver, and what's "
        "the air "
        "pollution reading at 49.2827, -123.1207?",
        functions=[OWM_CURRENT, OWM_AIR],
        expected=[
            Call("get_current_weather", {"q": OneOf(("Vancouver", "Vancouver,CA"))}),
            Call("get_air_pollution", {"lat": 49.2827, "lon": -123.1207}),
        ],
    ),
    Case(
        id="parallel-github-2",
        category="parallel",
        source="https://docs.github.com/en/rest/pulls/pulls#list-pull-requests",
        question="For facebook/react, give me the repo details, the open pull requests targeting "
        "main, and "
        "the open issues tagged 'good first issue'.",
        functions=[GH_LIST_ISSUES, GH_LIST_PULLS, GH_GET_REPO],
        expected=[
            Call("github_get_repo", {"owner": "facebook", "repo": "react"}),
            Call(
                "github_list_pulls",
                {"owner": "facebook", "repo": "react", "state": "open", "base": "main"},
            ),
            Call(
                "github_list_issues",
                {
                    "owner": "facebook",
                    "repo": "react",
                    "state": "open",
                    "labels": "good first issue",
                },
            ),
        ],
    ),
    Case(
        id="parallel-spotify-2",
        category="parallel",
        source=""
        "https://developer.spotify.com/documentation/web-api/reference/get-an-artists-top-tracks",
        question="Search Spotify for the track Motion Sickness, and separately get the US top "
        "tracks for "
        "artist id 1r1uxoy19fzMxunt3ONAkG.",
        functions=[SPOTIFY_SEARCH, SPOTIFY_TOP_TRACKS],
        expected=[
            Call(
                "spotify_search",
                {"q": OneOf(("Motion Sickness", "track:Motion Sickness")), "type": ["track"]},
            ),
            Call("spotify_artist_top_tracks", {"id": "1r1uxoy19fzMxunt3ONAkG", "market": "US"}),
        ],
    ),
    Case(
        id="parallel-gcal-1",
        category="parallel",
        source="https://developers.google.com/calendar/api/v3/reference/events/quickAdd",
        question='On my primary calendar, quick-add "Lunch with Priya tomorrow 12:30pm", '
        "and while you're at it find any events that mention dentist.",
        functions=[GCAL_LIST_EVENTS, GCAL_QUICK_ADD],
        expected=[
            Call(
                "gcal_quick_add",
                {"calendarId": "primary", "text": "Lunch with Priya tomorrow 12:30pm"},
            ),
            Call("gcal_list_events", {"calendarId": "primary", "q": "dentist"}),
        ],
    ),
    Case(
        id="parallel-stripe-1",
        category="parallel",
        source="https://docs.stripe.com/api/customers/create",
        question="Create a Stripe customer for Jane Okafor (jane.okafor@example.com), and add a "
        "product "
        "called 'Pro Plan - Annual' with the description 'Yearly subscription to Pro'.",
        functions=[STRIPE_CUSTOMER, STRIPE_PRODUCT],
        expected=[
            Call(
                "stripe_create_customer",
                {"name": "Jane Okafor", "email": "jane.okafor@example.com"},
            ),
            Call(
                "stripe_create_product",
                {"name": "Pro Plan - Annual", "description": "Yearly subscription to Pro"},
            ),
        ],
    ),
    Case(
        id="parallel-jira-1",
        category="parallel",
        source=""
        "https://developer.atlassian.com/cloud/jira/platform/rest/v2/api-group-issues/#api-rest-api-2-issue-issueidorkey-get",
        question="Get me the details of OPS-412, and leave a comment on OPS-409 saying "
        '"Duplicate of OPS-412, closing."',
        functions=[JIRA_GET_ISSUE, JIRA_ADD_COMMENT],
        expected=[
            Call("jira_get_issue", {"issueIdOrKey": "OPS-412"}),
            Call(
                "jira_add_comment",
                {"issueIdOrKey": "OPS-409", "body": "Duplicate of OPS-412, closing."},
            ),
        ],
    ),
    Case(
        id="parallel-nasa-2",
        category="parallel",
        source="https://github.com/r-spacex/SpaceX-API/tree/master/docs",
        question="Space nerd morning: show me today's astronomy picture of the day, the most "
        "recent SpaceX "
        "launch, and whatever SpaceX is launching next.",
        functions=[NASA_APOD, SPACEX_LATEST, SPACEX_NEXT],
        expected=[
            Call("nasa_apod", {}),
            Call("spacex_latest_launch", {}),
            Call("spacex_next_launch", {}),
        ],
    ),
    Case(
        id="parallel-hackernews-2",
        category="parallel",
        source="https://github.com/HackerNews/API",
        question="what's on the HN front page right now, and how much karma does user dang have?",
        functions=[HN_ITEM, HN_TOP, HN_USER],
        expected=[
            Call("hn_top_stories", {}),
            Call("hn_get_user", {"id": "dang"}),
        ],
    ),
    Case(
        id="parallel-restcountries-2",
        category="parallel",
        source="https://restcountries.com/",
        question="Which countries use the West African CFA franc (XOF)? Also give me the details "
        "on Senegal.",
        functions=[RC_NAME, RC_CURRENCY],
        expected=[
            Call("restcountries_by_currency", {"currency": "XOF"}),
            Call("restcountries_by_name", {"name": "Senegal"}),
        ],
    ),
    Case(
        id="parallel-youtube-1",
        category="parallel",
        source="https://developers.google.com/youtube/v3/docs/channels/list",
        question="How many subscribers does @veritasium have? Also, search YouTube for 3 videos "
        "about "
        "sourdough starter.",
        functions=[YT_SEARCH, YT_CHANNELS],
        expected=[
            Call(
                "youtube_channels_list",
                {
                    "part": OneOf(("statistics", "snippet,statistics", "statistics,snippet")),
                    "forHandle": OneOf(("@veritasium", "veritasium")),
                },
            ),
            Call(
                "youtube_search",
                {"part": "snippet", "q": "sourdough starter", "type": "video", "maxResults": 3},
            ),
        ],
    ),
    Case(
        id="parallel-zoom-1",
        category="parallel",
        source=""
        "https://developers.zoom.us/docs/api/meetings/#tag/meetings/POST/users/{userId}/meetings",
        question="Start an instant Zoom meeting for me called 'Incident bridge', and list my "
        "upcoming meetings.",
        functions=[ZOOM_CREATE, ZOOM_LIST],
        expected=[
            Call("zoom_create_meeting", {"userId": "me", "topic": "Incident bridge", "type": 1}),
            Call(
                "zoom_list_meetings",
                {"userId": "me", "type": OneOf(("upcoming", "upcoming_meetings"))},
            ),
        ],
    ),
    Case(
        id="parallel-shopify-1",
        category="parallel",
        source="https://shopify.dev/docs/api/admin-rest/2024-01/resources/order#get-orders-count",
        question="How many open orders are still unfulfilled? And show me the first 10 draft "
        "products.",
        functions=[SHOPIFY_PRODUCTS, SHOPIFY_ORDER_COUNT],
        expected=[
            Call("shopify_count_orders", {"status": "open", "fulfillment_status": "unfulfilled"}),
            Call("shopify_list_products", {"status": "draft", "limit": 10}),
        ],
    ),
    Case(
        id="parallel-mailchimp-1",
        category="parallel",
        source="https://mailchimp.com/developer/marketing/api/list-members/add-member-to-list/",
        question="Subscribe sam.lee@example.org to audience 8a1c2d3e4f, and fetch that audience's "
        "info too.",
        functions=[MC_GET_LIST, MC_ADD_MEMBER],
        expected=[
            Call(
                "mailchimp_add_member",
                {
                    "list_id": "8a1c2d3e4f",
                    "email_address": "sam.lee@example.org",
                    "status": "subscribed",
                },
            ),
            Call("mailchimp_get_list", {"list_id": "8a1c2d3e4f"}),
        ],
    ),
    Case(
        id="parallel-discord-1",
        category="parallel",
        source="https://discord.com/developers/docs/resources/message#create-message",
        question="In channel 1109876543210987654 post 'Patch 2.3 is live!' and react with 👍 to "
        "message "
        "1109876543210000001 in that same channel",
        functions=[DISCORD_MESSAGE, DISCORD_REACTION],
        expected=[
            Call(
                "discord_create_message",
                {"channel_id": "1109876543210987654", "content": "Patch 2.3 is live!"},
            ),
            Call(
                "discord_create_reaction",
                {
                    "channel_id": "1109876543210987654",
                    "message_id": "1109876543210000001",
                    "emoji": OneOf(("👍", "%F0%9F%91%8D")),
                },
            ),
        ],
    ),
    Case(
        id="parallel-mapbox-1",
        category="parallel",
        source="https://docs.mapbox.com/api/search/geocoding/",
        question="What's at longitude -73.9857, latitude 40.7484? And separately geocode "
        "'221B Baker Street, London', just 1 result.",
        functions=[MAPBOX_FORWARD, MAPBOX_REVERSE],
        expected=[
            Call("mapbox_reverse_geocode", {"longitude": -73.9857, "latitude": 40.7484}),
            Call("mapbox_forward_geocode", {"q": "221B Baker Street, London", "limit": 1}),
        ],
    ),
    Case(
        id="parallel-coingecko-2",
        category="parallel",
        source="https://docs.coingecko.com/reference/trending-search",
        question="what coins are trending on coingecko today? also btc and eth price in eur w/ the "
        "24h change",
        functions=[CG_SIMPLE_PRICE, CG_MARKET_CHART, CG_TRENDING],
        expected=[
            Call("coingecko_trending", {}),
            Call(
                "coingecko_simple_price",
                {
                    "ids": OneOf(("bitcoin,ethereum", "ethereum,bitcoin")),
                    "vs_currencies": "eur",
                    "include_24hr_change": True,
                },
            ),
        ],
    ),
    Case(
        id="parallel-frankfurter-2",
        category="parallel",
        source="https://frankfurter.dev/",
        question="I'm writing about the March 2020 crash. Get me today's EUR to USD rate and the "
        "rate on "
        "2020-03-16 as well.",
        functions=[FRANKFURTER_LATEST, FRANKFURTER_HISTORICAL],
        expected=[
            Call("frankfurter_latest_rates", {"base": "EUR", "symbols": "USD"}),
            Call(
                "frankfurter_historical_rates",
                {"date": "2020-03-16", "base": "EUR", "symbols": "USD"},
            ),
        ],
    ),
    Case(
        id="parallel-owm-3",
        category="parallel",
        source="https://openweathermap.org/current",
        question="Heading to Mexico City next week! Can you check the current weather there in "
        "Fahrenheit, "
        "how many Mexican pesos 500 USD gets me, and give me a country overview of Mexico?",
        functions=[OWM_CURRENT, FRANKFURTER_LATEST, RC_NAME, RC_CURRENCY],
        expected=[
            Call(
                "get_current_weather",
                {
                    "q": OneOf(("Mexico City", "Mexico City,MX", "Ciudad de Mexico")),
                    "units": "imperial",
                },
            ),
            Call("frankfurter_latest_rates", {"base": "USD", "symbols": "MXN", "amount": 500}),
            Call("restcountries_by_name", {"name": "Mexico"}),
        ],
    ),
    Case(
        id="parallel-openmeteo-2",
        category="parallel",
        source="https://open-meteo.com/en/docs/air-quality-api",
        question="For Delhi (28.6139, 77.2090) give me the hourly PM2.5 forecast and the hourly "
        "temperature forecast.",
        functions=[OPENMETEO_FORECAST, OPENMETEO_AIR],
        expected=[
            Call(
                "openmeteo_air_quality",
                {"latitude": 28.6139, "longitude": 77.209, "hourly": ["pm2_5"]},
            ),
            Call(
                "openmeteo_forecast",
                {"latitude": 28.6139, "longitude": 77.209, "hourly": ["temperature_2m"]},
            ),
        ],
    ),
    Case(
        id="parallel-airtable-1",
        category="parallel",
        source="https://airtable.com/developers/web/api/list-records",
        question="In base appX7kQ2mN9pL4rT1, fetch record recA1b2C3d4E5f6G7 from the Tasks table, "
        "and "
        "list up to 20 records from the Projects table using the Active view.",
        functions=[AIRTABLE_LIST, AIRTABLE_GET],
        expected=[
            Call(
                "airtable_get_record",
                {
                    "baseId": "appX7kQ2mN9pL4rT1",
                    "tableIdOrName": "Tasks",
                    "recordId": "recA1b2C3d4E5f6G7",
                },
            ),
            Call(
                "airtable_list_records",
                {
                    "baseId": "appX7kQ2mN9pL4rT1",
                    "tableIdOrName": "Projects",
                    "view": "Active",
                    "maxRecords": 20,
                },
            ),
        ],
    ),
]
