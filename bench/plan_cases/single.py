"""single cases: one function offered, one call expected, over many public APIs."""

from __future__ import annotations

from bench.plan_cases import Call, Case, OneOf

# functions, each written once and reused by the cases that offer it

OWM_CURRENT = {
    "name": "get_current_weather",
    "description": "Current weather data for a city (OpenWeatherMap Current Weather API).",
    "parameters": {
        "type": "object",
        "properties": {
            "q": {
                "type": "string",
                "description": "City name, optionally with state code and ISO 3166 country code, "
                "comma-separated, e.g. 'London,GB'.",
            },
            "units": {
                "type": "string",
                "enum": ["standard", "metric", "imperial"],
                "default": "standard",
                "description": "Units of measurement: standard (Kelvin), metric (Celsius), "
                "imperial (Fahrenheit).",
            },
            "lang": {
                "type": "string",
                "description": "Language code for the weather description, e.g. 'en', 'fr'.",
            },
        },
        "required": ["q"],
    },
}

OPEN_METEO_FORECAST = {
    "name": "open_meteo_forecast",
    "description": "Weather forecast for a coordinate from the Open-Meteo Forecast API.",
    "parameters": {
        "type": "object",
        "properties": {
            "latitude": {"type": "number", "description": "WGS84 latitude in degrees."},
            "longitude": {"type": "number", "description": "WGS84 longitude in degrees."},
            "hourly": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Hourly variables, e.g. temperature_2m, precipitation, "
                "wind_speed_10m, relative_humidity_2m.",
            },
            "daily": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Daily aggregations, e.g. temperature_2m_max, "
                "temperature_2m_min, precipitation_sum, sunrise, sunset.",
            },
            "temperature_unit": {
                "type": "string",
                "enum": ["celsius", "fahrenheit"],
                "default": "celsius",
                "description": "Unit for temperatures.",
            },
            "wind_speed_unit": {
                "type": "string",
                "enum": ["kmh", "ms", "mph", "kn"],
                "default": "kmh",
                "description": "Unit for wind speed.",
            },
            "timezone": {
                "type": "string",
                "default": "GMT",
                "description": "Time zone for timestamps, e.g. 'Europe/Berlin' or 'auto'.",
            },
            "forecast_days": {
                "type": "integer",
                "minimum": 0,
                "maximum": 16,
                "default": 7,
                "description": "Number of forecast days.",
            },
        },
        "required": ["latitude", "longitude"],
    },
}

GITHUB_LIST_ISSUES = {
    "name": "github_list_issues",
    "description": "List issues in a GitHub repository (GET /repos/{owner}/{repo}/issues).",
    "parameters": {
        "type": "object",
        "properties": {
            "owner": {"type": "string", "description": "Account owner of the repository."},
            "repo": {"type": "string", "description": "Name of the repository."},
            "state": {
                "type": "string",
                "enum": ["open", "closed", "all"],
                "default": "open",
                "description": "State of the issues to return.",
            },
            "labels": {
                "type": "string",
                "description": "Comma-separated list of label names, e.g. 'bug,ui'.",
            },
            "assignee": {
                "type": "string",
                "description": "Login of the assignee, 'none' or '*'.",
            },
            "sort": {
                "type": "string",
                "enum": ["created", "updated", "comments"],
                "default": "created",
                "description": "What to sort results by.",
            },
            "direction": {
                "type": "string",
                "enum": ["asc", "desc"],
                "default": "desc",
                "description": "Direction of the sort.",
            },
            "per_page": {
                "type": "integer",
                "maximum": 100,
                "default": 30,
                "description": "Results per page (max 100).",
            },
        },
        "required": ["owner", "repo"],
    },
}

GITHUB_CREATE_ISSUE = {
    "name": "github_create_issue",
    "description": "Create an issue in a GitHub repository (POST /repos/{owner}/{repo}/issues).",
    "parameters": {
        "type": "object",
        "properties": {
            "owner": {"type": "string", "description": "Account owner of the repository."},
            "repo": {"type": "string", "description": "Name of the repository."},
            "title": {"type": "string", "description": "The title of the issue."},
            "body": {"type": "string", "description": "The contents of the issue."},
            "labels": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Labels to associate with the issue.",
            },
            "assignees": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Logins of users to assign to the issue.",
            },
        },
        "required": ["owner", "repo", "title"],
    },
}

STRIPE_CREATE_CUSTOMER = {
    "name": "stripe_create_customer",
    "description": "Create a Stripe customer (POST /v1/customers).",
    "parameters": {
        "type": "object",
        "properties": {
            "email": {"type": "string", "description": "Customer's email address."},
            "name": {"type": "string", "description": "Customer's full name or business name."},
            "phone": {"type": "string", "description": "Customer's phone number."},
            "description": {
                "type": "string",
                "description": "An arbitrary string attached to the customer.",
            },
            "preferred_locales": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Customer's preferred languages, ordered by preference.",
            },
        },
        "required": [],
    },
}

SLACK_POST_MESSAGE = {
    "name": "slack_post_message",
    "description": "Send a message to a Slack channel (chat.postMessage).",
    "parameters": {
        "type": "object",
        "properties": {
            "channel": {
                "type": "string",
                "description": "Channel, private group, or IM channel to send to: an ID or a name.",
            },
            "text": {"type": "string", "description": "The message text."},
            "thread_ts": {
                "type": "string",
                "description": "Timestamp of the parent message, to reply in a thread.",
            },
            "reply_broadcast": {
                "type": "boolean",
                "default": False,
                "description": "With thread_ts, also post the reply to the channel.",
            },
            "unfurl_links": {
                "type": "boolean",
                "description": "Whether to unfurl text-based content.",
            },
        },
        "required": ["channel"],
    },
}

SLACK_CREATE_CHANNEL = {
    "name": "slack_create_conversation",
    "description": "Create a public or private Slack channel (conversations.create).",
    "parameters": {
        "type": "object",
        "properties": {
            "name": {
                "type": "string",
                "description": "Name of the channel: lowercase letters, numbers, hyphens, "
                "underscores; at most 80 characters.",
            },
            "is_private": {
                "type": "boolean",
                "default": False,
                "description": "Create a private channel instead of a public one.",
            },
        },
        "required": ["name"],
    },
}

SPOTIFY_SEARCH = {
    "name": "spotify_search",
    "description": "Search the Spotify catalog for albums, artists, playlists, tracks, shows, "
    "episodes or audiobooks (GET /v1/search).",
    "parameters": {
        "type": "object",
        "properties": {
            "q": {
                "type": "string",
                "description": "Search query; may use filters such as artist:, album:, year:.",
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
                "description": "Item types to search across.",
            },
            "market": {
                "type": "string",
                "description": "ISO 3166-1 alpha-2 country code.",
            },
            "limit": {
                "type": "integer",
                "minimum": 0,
                "maximum": 50,
                "default": 20,
                "description": "Maximum number of results per type.",
            },
            "offset": {
                "type": "integer",
                "default": 0,
                "description": "Index of the first result to return.",
            },
        },
        "required": ["q", "type"],
    },
}

TWILIO_SEND_SMS = {
    "name": "twilio_create_message",
    "description": "Send an SMS with Twilio (POST /2010-04-01/Accounts/{AccountSid}/Messages).",
    "parameters": {
        "type": "object",
        "properties": {
            "To": {"type": "string", "description": "Recipient phone number in E.164 format."},
            "From": {
                "type": "string",
                "description": "Twilio phone number in E.164 format to send from.",
            },
            "Body": {"type": "string", "description": "Text of the message (up to 1600 chars)."},
        },
        "required": ["To", "From", "Body"],
    },
}

GMAPS_DIRECTIONS = {
    "name": "google_maps_directions",
    "description": "Directions between two places (Google Maps Directions API).",
    "parameters": {
        "type": "object",
        "properties": {
            "origin": {"type": "string", "description": "Address, place name or 'lat,lng'."},
            "destination": {
                "type": "string",
                "description": "Address, place name or 'lat,lng'.",
            },
            "mode": {
                "type": "string",
                "enum": ["driving", "walking", "bicycling", "transit"],
                "default": "driving",
                "description": "Mode of transport.",
            },
            "avoid": {
                "type": "string",
                "description": "Features to avoid, '|'-separated: tolls, highways, ferries.",
            },
            "units": {
                "type": "string",
                "enum": ["metric", "imperial"],
                "description": "Unit system for displayed distances.",
            },
            "alternatives": {
                "type": "boolean",
                "default": False,
                "description": "Return more than one route when available.",
            },
        },
        "required": ["origin", "destination"],
    },
}

GCAL_LIST_EVENTS = {
    "name": "google_calendar_list_events",
    "description": "List events on a Google Calendar (events.list).",
    "parameters": {
        "type": "object",
        "properties": {
            "calendarId": {
                "type": "string",
                "description": "Calendar identifier; 'primary' for the user's primary calendar.",
            },
            "q": {"type": "string", "description": "Free text search terms."},
            "timeMin": {
                "type": "string",
                "description": "Lower bound (exclusive) for an event's end time, RFC3339.",
            },
            "timeMax": {
                "type": "string",
                "description": "Upper bound (exclusive) for an event's start time, RFC3339.",
            },
            "maxResults": {
                "type": "integer",
                "default": 250,
                "description": "Maximum number of events returned.",
            },
            "singleEvents": {
                "type": "boolean",
                "default": False,
                "description": "Expand recurring events into instances.",
            },
            "orderBy": {
                "type": "string",
                "enum": ["startTime", "updated"],
                "description": "Order of the events returned.",
            },
        },
        "required": ["calendarId"],
    },
}

NOMINATIM_SEARCH = {
    "name": "nominatim_search",
    "description": "Search OpenStreetMap data by name or address (Nominatim /search).",
    "parameters": {
        "type": "object",
        "properties": {
            "q": {"type": "string", "description": "Free-form query string."},
            "format": {
                "type": "string",
                "enum": ["xml", "json", "jsonv2", "geojson", "geocodejson"],
                "default": "jsonv2",
                "description": "Output format.",
            },
            "limit": {
                "type": "integer",
                "minimum": 1,
                "maximum": 40,
                "default": 10,
                "description": "Maximum number of results.",
            },
            "countrycodes": {
                "type": "string",
                "description": "Comma-separated ISO 3166-1 alpha-2 codes to restrict results to.",
            },
            "addressdetails": {
                "type": "integer",
                "enum": [0, 1],
                "default": 0,
                "description": "1 to include a breakdown of the address.",
            },
        },
        "required": ["q"],
    },
}

RESTCOUNTRIES_NAME = {
    "name": "restcountries_by_name",
    "description": "Look up countries by name (REST Countries /v3.1/name/{name}).",
    "parameters": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "Common or official country name."},
            "fullText": {
                "type": "boolean",
                "default": False,
                "description": "Match the full name exactly instead of a partial match.",
            },
            "fields": {
                "type": "string",
                "description": "Comma-separated fields to return, e.g. 'name,capital,currencies'.",
            },
        },
        "required": ["name"],
    },
}

FRANKFURTER_LATEST = {
    "name": "frankfurter_latest_rates",
    "description": "Latest exchange rates published by the ECB (Frankfurter /latest).",
    "parameters": {
        "type": "object",
        "properties": {
            "amount": {
                "type": "number",
                "default": 1,
                "description": "Amount of the base currency to convert.",
            },
            "from": {
                "type": "string",
                "default": "EUR",
                "description": "Base currency, ISO 4217 code.",
            },
            "to": {
                "type": "string",
                "description": "Comma-separated target currency codes; all if omitted.",
            },
        },
        "required": [],
    },
}

FRANKFURTER_HISTORICAL = {
    "name": "frankfurter_historical_rates",
    "description": "Exchange rates for a past date (Frankfurter /{date}).",
    "parameters": {
        "type": "object",
        "properties": {
            "date": {"type": "string", "description": "Date in YYYY-MM-DD format."},
            "amount": {
                "type": "number",
                "default": 1,
                "description": "Amount of the base currency to convert.",
            },
            "from": {
                "type": "string",
                "default": "EUR",
                "description": "Base currency, ISO 4217 code.",
            },
            "to": {
                "type": "string",
                "description": "Comma-separated target currency codes; all if omitted.",
            },
        },
        "required": ["date"],
    },
}

ALPHAVANTAGE_DAILY = {
    "name": "alphavantage_time_series_daily",
    "description": "Daily open/high/low/close/volume for a stock (Alpha Vantage "
    "function=TIME_SERIES_DAILY).",
    "parameters": {
        "type": "object",
        "properties": {
            "symbol": {"type": "string", "description": "Ticker symbol, e.g. 'IBM'."},
            "outputsize": {
                "type": "string",
                "enum": ["compact", "full"],
                "default": "compact",
                "description": "compact: latest 100 data points; full: 20+ years of history.",
            },
            "datatype": {
                "type": "string",
                "enum": ["json", "csv"],
                "default": "json",
                "description": "Response format.",
            },
        },
        "required": ["symbol"],
    },
}

NASA_APOD = {
    "name": "nasa_apod",
    "description": "NASA Astronomy Picture of the Day (api.nasa.gov /planetary/apod).",
    "parameters": {
        "type": "object",
        "properties": {
            "date": {
                "type": "string",
                "description": "Date of the image, YYYY-MM-DD (default today; from 1995-06-16).",
            },
            "start_date": {"type": "string", "description": "Start of a date range, YYYY-MM-DD."},
            "end_date": {"type": "string", "description": "End of a date range, YYYY-MM-DD."},
            "count": {
                "type": "integer",
                "description": "Return this many randomly chosen images.",
            },
            "thumbs": {
                "type": "boolean",
                "default": False,
                "description": "Return a thumbnail URL when the APOD is a video.",
            },
        },
        "required": [],
    },
}

TMDB_SEARCH_MOVIE = {
    "name": "tmdb_search_movie",
    "description": "Search for movies by title (TMDB /3/search/movie).",
    "parameters": {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "Text to search for."},
            "year": {"type": "integer", "description": "Release year to filter by."},
            "language": {
                "type": "string",
                "default": "en-US",
                "description": "ISO 639-1 language (optionally with region), e.g. 'fr-FR'.",
            },
            "include_adult": {
                "type": "boolean",
                "default": False,
                "description": "Include adult titles.",
            },
            "region": {"type": "string", "description": "ISO 3166-1 code for release dates."},
            "page": {"type": "integer", "default": 1, "description": "Page of results."},
        },
        "required": ["query"],
    },
}

TMDB_SEARCH_TV = {
    "name": "tmdb_search_tv",
    "description": "Search for TV shows by name (TMDB /3/search/tv).",
    "parameters": {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "Text to search for."},
            "first_air_date_year": {
                "type": "integer",
                "description": "Year the show first aired.",
            },
            "language": {
                "type": "string",
                "default": "en-US",
                "description": "ISO 639-1 language (optionally with region), e.g. 'de-DE'.",
            },
            "include_adult": {
                "type": "boolean",
                "default": False,
                "description": "Include adult titles.",
            },
            "page": {"type": "integer", "default": 1, "description": "Page of results."},
        },
        "required": ["query"],
    },
}

OPENLIBRARY_SEARCH = {
    "name": "openlibrary_search",
    "description": "Search Open Library for books (/search.json).",
    "parameters": {
        "type": "object",
        "properties": {
            "q": {"type": "string", "description": "General search query."},
            "title": {"type": "string", "description": "Search by title."},
            "author": {"type": "string", "description": "Search by author name."},
            "subject": {"type": "string", "description": "Search by subject."},
            "sort": {
                "type": "string",
                "enum": ["new", "old", "random", "key", "rating"],
                "description": "Sort order; relevance if omitted.",
            },
            "lang": {
                "type": "string",
                "description": "Preferred language, ISO 639-1 code, e.g. 'fr'.",
            },
            "limit": {"type": "integer", "description": "Number of results to return."},
            "page": {"type": "integer", "default": 1, "description": "Page of results."},
        },
        "required": [],
    },
}

JIRA_GET_ISSUE = {
    "name": "jira_get_issue",
    "description": "Get a Jira issue by ID or key (GET /rest/api/3/issue/{issueIdOrKey}).",
    "parameters": {
        "type": "object",
        "properties": {
            "issueIdOrKey": {"type": "string", "description": "The ID or key of the issue."},
            "fields": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Fields to return, e.g. summary, status, assignee; all by default.",
            },
            "expand": {
                "type": "string",
                "description": "Comma-separated extras: renderedFields, names, schema, "
                "transitions, editmeta, changelog.",
            },
        },
        "required": ["issueIdOrKey"],
    },
}

TRELLO_CREATE_CARD = {
    "name": "trello_create_card",
    "description": "Create a card on a Trello list (POST /1/cards).",
    "parameters": {
        "type": "object",
        "properties": {
            "idList": {"type": "string", "description": "ID of the list the card goes in."},
            "name": {"type": "string", "description": "Name of the card."},
            "desc": {"type": "string", "description": "Description of the card."},
            "pos": {
                "type": "string",
                "enum": ["top", "bottom"],
                "description": "Position of the card in the list.",
            },
            "due": {"type": "string", "description": "Due date, ISO 8601."},
            "idMembers": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Member IDs to add to the card.",
            },
        },
        "required": ["idList"],
    },
}

SHOPIFY_LIST_PRODUCTS = {
    "name": "shopify_list_products",
    "description": "List products in a Shopify store (Admin REST GET /products.json).",
    "parameters": {
        "type": "object",
        "properties": {
            "limit": {
                "type": "integer",
                "maximum": 250,
                "default": 50,
                "description": "Maximum number of results.",
            },
            "status": {
                "type": "string",
                "enum": ["active", "archived", "draft"],
                "description": "Return products by status.",
            },
            "vendor": {"type": "string", "description": "Return products by vendor."},
            "product_type": {"type": "string", "description": "Return products by type."},
            "title": {"type": "string", "description": "Return products by title."},
            "created_at_min": {
                "type": "string",
                "description": "Products created after this date, ISO 8601.",
            },
        },
        "required": [],
    },
}

NOTION_SEARCH = {
    "name": "notion_search",
    "description": "Search pages and databases shared with the integration (POST /v1/search).",
    "parameters": {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "Text to match page and database titles."},
            "filter": {
                "type": "object",
                "description": "Limit results to pages or to databases.",
                "properties": {
                    "value": {"type": "string", "enum": ["page", "database"]},
                    "property": {"type": "string", "enum": ["object"]},
                },
                "required": ["value", "property"],
            },
            "page_size": {
                "type": "integer",
                "maximum": 100,
                "default": 100,
                "description": "Number of items to return.",
            },
        },
        "required": [],
    },
}

DISCORD_CREATE_MESSAGE = {
    "name": "discord_create_message",
    "description": "Post a message to a Discord channel (POST /channels/{channel.id}/messages).",
    "parameters": {
        "type": "object",
        "properties": {
            "channel_id": {"type": "string", "description": "Snowflake ID of the channel."},
            "content": {"type": "string", "description": "Message contents (up to 2000 chars)."},
            "tts": {
                "type": "boolean",
                "default": False,
                "description": "Send as a text-to-speech message.",
            },
        },
        "required": ["channel_id"],
    },
}

WIKIPEDIA_SUMMARY = {
    "name": "wikipedia_page_summary",
    "description": "Short summary of a Wikipedia article (REST /page/summary/{title}).",
    "parameters": {
        "type": "object",
        "properties": {
            "title": {"type": "string", "description": "Article title."},
            "redirect": {
                "type": "boolean",
                "default": True,
                "description": "Follow redirects to the target article.",
            },
        },
        "required": ["title"],
    },
}

YOUTUBE_SEARCH = {
    "name": "youtube_search",
    "description": "Search YouTube videos, channels and playlists (YouTube Data API search.list).",
    "parameters": {
        "type": "object",
        "properties": {
            "part": {
                "type": "string",
                "enum": ["snippet"],
                "description": "Resource parts to include; must be 'snippet'.",
            },
            "q": {"type": "string", "description": "Query term."},
            "maxResults": {
                "type": "integer",
                "minimum": 0,
                "maximum": 50,
                "default": 5,
                "description": "Maximum number of items.",
            },
            "order": {
                "type": "string",
                "enum": ["date", "rating", "relevance", "title", "videoCount", "viewCount"],
                "default": "relevance",
                "description": "Order of the results.",
            },
            "type": {
                "type": "string",
                "enum": ["channel", "playlist", "video"],
                "description": "Restrict to one resource type.",
            },
            "regionCode": {"type": "string", "description": "ISO 3166-1 alpha-2 country code."},
            "videoDuration": {
                "type": "string",
                "enum": ["any", "long", "medium", "short"],
                "description": "Filter by duration (short < 4 min, long > 20 min).",
            },
        },
        "required": ["part"],
    },
}

MAPBOX_GEOCODE = {
    "name": "mapbox_forward_geocode",
    "description": "Turn an address or place name into coordinates (Mapbox Geocoding v6 "
    "/search/geocode/v6/forward).",
    "parameters": {
        "type": "object",
        "properties": {
            "q": {"type": "string", "description": "Search text, e.g. an address."},
            "country": {
                "type": "string",
                "description": "Comma-separated ISO 3166 alpha-2 country codes to limit to.",
            },
            "limit": {
                "type": "integer",
                "minimum": 1,
                "maximum": 10,
                "default": 5,
                "description": "Maximum number of results.",
            },
            "language": {"type": "string", "description": "IETF language tag, e.g. 'en'."},
            "proximity": {
                "type": "string",
                "description": "Bias results near 'longitude,latitude' or 'ip'.",
            },
            "autocomplete": {
                "type": "boolean",
                "default": True,
                "description": "Return partial-match autocomplete results.",
            },
        },
        "required": ["q"],
    },
}

YELP_SEARCH = {
    "name": "yelp_business_search",
    "description": "Search businesses on Yelp (Yelp Fusion GET /v3/businesses/search).",
    "parameters": {
        "type": "object",
        "properties": {
            "term": {"type": "string", "description": "Search term, e.g. 'food' or 'tacos'."},
            "location": {
                "type": "string",
                "description": "Geographic area, e.g. 'New York City', an address or zip.",
            },
            "radius": {
                "type": "integer",
                "maximum": 40000,
                "description": "Search radius in meters (max 40000).",
            },
            "price": {
                "type": "array",
                "items": {"type": "integer", "enum": [1, 2, 3, 4]},
                "description": "Price levels: 1 = $, 2 = $$, 3 = $$$, 4 = $$$$.",
            },
            "open_now": {
                "type": "boolean",
                "default": False,
                "description": "Only businesses open now.",
            },
            "sort_by": {
                "type": "string",
                "enum": ["best_match", "rating", "review_count", "distance"],
                "default": "best_match",
                "description": "Sort order.",
            },
            "limit": {
                "type": "integer",
                "maximum": 50,
                "default": 20,
                "description": "Number of results.",
            },
        },
        "required": ["location"],
    },
}

HN_ITEM = {
    "name": "hackernews_get_item",
    "description": "Get a Hacker News story, comment, job, poll or pollopt by id (/v0/item/{id}).",
    "parameters": {
        "type": "object",
        "properties": {"id": {"type": "integer", "description": "The item's unique id."}},
        "required": ["id"],
    },
}

POKEAPI_POKEMON = {
    "name": "pokeapi_get_pokemon",
    "description": "Get a Pokemon's stats, types, abilities and moves (PokeAPI /api/v2/pokemon).",
    "parameters": {
        "type": "object",
        "properties": {
            "id_or_name": {
                "type": "string",
                "description": "National Pokedex number or lowercase name, e.g. '25' or 'pikachu'.",
            }
        },
        "required": ["id_or_name"],
    },
}

COINGECKO_PRICE = {
    "name": "coingecko_simple_price",
    "description": "Current price of coins in other currencies (CoinGecko /simple/price).",
    "parameters": {
        "type": "object",
        "properties": {
            "ids": {
                "type": "string",
                "description": "Comma-separated CoinGecko coin ids, e.g. 'bitcoin,ethereum'.",
            },
            "vs_currencies": {
                "type": "string",
                "description": "Comma-separated target currencies, e.g. 'usd,eur'.",
            },
            "include_market_cap": {
                "type": "boolean",
                "default": False,
                "description": "Include market cap.",
            },
            "include_24hr_vol": {
                "type": "boolean",
                "default": False,
                "description": "Include 24h volume.",
            },
            "include_24hr_change": {
                "type": "boolean",
                "default": False,
                "description": "Include 24h price change.",
            },
            "precision": {
                "type": "string",
                "description": "Decimal places for the price: 'full' or '0' to '18'.",
            },
        },
        "required": ["ids", "vs_currencies"],
    },
}

ZOOM_CREATE_MEETING = {
    "name": "zoom_create_meeting",
    "description": "Create a Zoom meeting for a user (POST /users/{userId}/meetings).",
    "parameters": {
        "type": "object",
        "properties": {
            "userId": {
                "type": "string",
                "description": "The user's ID or email; 'me' for the authenticated user.",
            },
            "topic": {"type": "string", "description": "Meeting topic."},
            "type": {
                "type": "integer",
                "enum": [1, 2, 3, 8],
                "default": 2,
                "description": "1 instant, 2 scheduled, 3 recurring with no fixed time, "
                "8 recurring with fixed time.",
            },
            "start_time": {
                "type": "string",
                "description": "Start time, yyyy-MM-ddTHH:mm:ss (local to timezone) or UTC "
                "with a trailing Z.",
            },
            "duration": {"type": "integer", "description": "Duration in minutes."},
            "timezone": {"type": "string", "description": "IANA time zone, e.g. 'Asia/Tokyo'."},
            "password": {"type": "string", "description": "Meeting passcode."},
            "agenda": {"type": "string", "description": "Meeting description."},
        },
        "required": ["userId"],
    },
}

DROPBOX_CREATE_FOLDER = {
    "name": "dropbox_create_folder",
    "description": "Create a folder at a path in Dropbox (/2/files/create_folder_v2).",
    "parameters": {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "Path of the new folder, starting with /."},
            "autorename": {
                "type": "boolean",
                "default": False,
                "description": "On a conflict, let Dropbox rename the folder to avoid it.",
            },
        },
        "required": ["path"],
    },
}

MAILCHIMP_ADD_MEMBER = {
    "name": "mailchimp_add_list_member",
    "description": "Add a contact to a Mailchimp audience (POST /lists/{list_id}/members).",
    "parameters": {
        "type": "object",
        "properties": {
            "list_id": {"type": "string", "description": "The unique ID of the list/audience."},
            "email_address": {"type": "string", "description": "Email address of the member."},
            "status": {
                "type": "string",
                "enum": ["subscribed", "unsubscribed", "cleaned", "pending", "transactional"],
                "description": "Subscriber status; 'pending' sends a double opt-in email.",
            },
            "tags": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Tags to add to the member.",
            },
            "language": {"type": "string", "description": "Subscriber's language code."},
            "vip": {"type": "boolean", "description": "VIP status for the subscriber."},
        },
        "required": ["list_id", "email_address", "status"],
    },
}

USGS_EARTHQUAKES = {
    "name": "usgs_earthquake_query",
    "description": "Search the USGS earthquake catalog (FDSN event service /fdsnws/event/1/query).",
    "parameters": {
        "type": "object",
        "properties": {
            "format": {
                "type": "string",
                "enum": ["geojson", "csv", "kml", "quakeml", "text", "xml"],
                "default": "quakeml",
                "description": "Response format.",
            },
            "starttime": {
                "type": "string",
                "description": "Events on or after this time, ISO 8601 (default 30 days ago).",
            },
            "endtime": {
                "type": "string",
                "description": "Events on or before this time, ISO 8601 (default now).",
            },
            "minmagnitude": {"type": "number", "description": "Minimum magnitude."},
            "latitude": {"type": "number", "description": "Center latitude for a radius search."},
            "longitude": {
                "type": "number",
                "description": "Center longitude for a radius search.",
            },
            "maxradiuskm": {
                "type": "number",
                "maximum": 20001.6,
                "description": "Radius in km around latitude/longitude.",
            },
            "orderby": {
                "type": "string",
                "enum": ["time", "time-asc", "magnitude", "magnitude-asc"],
                "default": "time",
                "description": "Order of results.",
            },
        },
        "required": [],
    },
}

AIRTABLE_LIST_RECORDS = {
    "name": "airtable_list_records",
    "description": "List records in an Airtable table (GET /v0/{baseId}/{tableIdOrName}).",
    "parameters": {
        "type": "object",
        "properties": {
            "baseId": {"type": "string", "description": "ID of the base, starting with 'app'."},
            "tableIdOrName": {"type": "string", "description": "Table ID or table name."},
            "view": {"type": "string", "description": "Name or ID of a view in the table."},
            "maxRecords": {"type": "integer", "description": "Maximum total records returned."},
            "pageSize": {
                "type": "integer",
                "maximum": 100,
                "default": 100,
                "description": "Records per page.",
            },
            "filterByFormula": {
                "type": "string",
                "description": "Formula a record must satisfy, e.g. \"{Status} = 'Done'\".",
            },
        },
        "required": ["baseId", "tableIdOrName"],
    },
}

CASES: list[Case] = [
    Case(
        id="single-owm-1",
        category="single",
        source="https://openweathermap.org/current",
        question="Is it raining in Reykjavik right now?",
        functions=[OWM_CURRENT],
        expected=[
            Call(
                "get_current_weather",
                {"q": OneOf(("Reykjavik", "Reykjavík", "Reykjavik,IS", "Reykjavik, IS"))},
            )
        ],
    ),
    Case(
        id="single-owm-2",
        category="single",
        source="https://openweathermap.org/current",
        question="What's the weather like in Munich at the moment? My grandma is going to read "
        "it, so give me the description in German and the temperatures in Celsius.",
        functions=[OWM_CURRENT],
        expected=[
            Call(
                "get_current_weather",
                {
                    "q": OneOf(
                        (
                            "Munich",
                            "München",
                            "Munich,DE",
                            "Munich, DE",
                            "München,DE",
                            "München, DE",
                        )
                    ),
                    "units": "metric",
                    "lang": "de",
                },
            )
        ],
    ),
    Case(
        id="single-openmeteo-1",
        category="single",
        source="https://open-meteo.com/en/docs",
        question="hourly temperature and precipitation for the next 3 days at 47.37, 8.54 please",
        functions=[OPEN_METEO_FORECAST],
        expected=[
            Call(
                "open_meteo_forecast",
                {
                    "latitude": 47.37,
                    "longitude": 8.54,
                    "hourly": OneOf(
                        (
                            ["temperature_2m", "precipitation"],
                            ["precipitation", "temperature_2m"],
                        )
                    ),
                    "forecast_days": 3,
                },
            )
        ],
    ),
    Case(
        id="single-openmeteo-2",
        category="single",
        source="https://open-meteo.com/en/docs",
        question="We're camping near 44.43 N, 110.59 W (Yellowstone, finally!). Can you get me "
        "the daily high and low temperatures in Fahrenheit for the next 10 days?",
        functions=[OPEN_METEO_FORECAST],
        expected=[
            Call(
                "open_meteo_forecast",
                {
                    "latitude": 44.43,
                    "longitude": -110.59,
                    "daily": OneOf(
                        (
                            ["temperature_2m_max", "temperature_2m_min"],
                            ["temperature_2m_min", "temperature_2m_max"],
                        )
                    ),
                    "temperature_unit": "fahrenheit",
                    "forecast_days": 10,
                },
            )
        ],
    ),
    Case(
        id="single-github-1",
        category="single",
        source="https://docs.github.com/en/rest/issues/issues#list-repository-issues",
        question="Show me the closed issues labelled 'Type: Bug' in facebook/react, most "
        "recently updated first.",
        functions=[GITHUB_LIST_ISSUES],
        expected=[
            Call(
                "github_list_issues",
                {
                    "owner": "facebook",
                    "repo": "react",
                    "state": "closed",
                    "labels": "Type: Bug",
                    "sort": "updated",
                },
            )
        ],
    ),
    Case(
        id="single-github-2",
        category="single",
        source="https://docs.github.com/en/rest/issues/issues#create-an-issue",
        question='File an issue on octo-org/widgets titled "Crash on startup when config is '
        'empty" and tag it bug and regression.',
        functions=[GITHUB_CREATE_ISSUE],
        expected=[
            Call(
                "github_create_issue",
                {
                    "owner": "octo-org",
                    "repo": "widgets",
                    "title": "Crash on startup when config is empty",
                    "labels": OneOf((["bug", "regression"], ["regression", "bug"])),
                },
            )
        ],
    ),
    Case(
        id="single-stripe-1",
        category="single",
        source="https://docs.stripe.com/api/customers/create",
        question="New signup: Maria Gonzalez, maria.gonzalez@example.com. Create her as a "
        "customer in Stripe with the note 'referred by spring promo'.",
        functions=[STRIPE_CREATE_CUSTOMER],
        expected=[
            Call(
                "stripe_create_customer",
                {
                    "name": "Maria Gonzalez",
                    "email": "maria.gonzalez@example.com",
                    "description": "referred by spring promo",
                },
            )
        ],
    ),
    Case(
        id="single-slack-1",
        category="single",
        source="https://api.slack.com/methods/chat.postMessage",
        question='Post "Deploy finished, v2.4.1 is live" to #releases',
        functions=[SLACK_POST_MESSAGE],
        expected=[
            Call(
                "slack_post_message",
                {
                    "channel": OneOf(("#releases", "releases")),
                    "text": "Deploy finished, v2.4.1 is live",
                },
            )
        ],
    ),
    Case(
        id="single-slack-2",
        category="single",
        source="https://api.slack.com/methods/conversations.create",
        question="can u make a private slack channel called proj-falcon",
        functions=[SLACK_CREATE_CHANNEL],
        expected=[Call("slack_create_conversation", {"name": "proj-falcon", "is_private": True})],
    ),
    Case(
        id="single-spotify-1",
        category="single",
        source="https://developer.spotify.com/documentation/web-api/reference/search",
        question="Search Spotify for the album In Rainbows.",
        functions=[SPOTIFY_SEARCH],
        expected=[
            Call(
                "spotify_search",
                {"q": OneOf(("In Rainbows", "album:In Rainbows")), "type": ["album"]},
            )
        ],
    ),
    Case(
        id="single-spotify-2",
        category="single",
        source="https://developer.spotify.com/documentation/web-api/reference/search",
        question="I've been getting into philosophy on my commute. Find me 5 podcasts about "
        "stoicism that are available in the UK.",
        functions=[SPOTIFY_SEARCH],
        expected=[
            Call(
                "spotify_search",
                {"q": "stoicism", "type": ["show"], "limit": 5, "market": "GB"},
            )
        ],
    ),
    Case(
        id="single-twilio-1",
        category="single",
        source="https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource",
        question='Text +14155550123 from our Twilio number +18005550199: "Your table for 4 is '
        'ready."',
        functions=[TWILIO_SEND_SMS],
        expected=[
            Call(
                "twilio_create_message",
                {
                    "To": "+14155550123",
                    "From": "+18005550199",
                    "Body": "Your table for 4 is ready.",
                },
            )
        ],
    ),
    Case(
        id="single-gmaps-1",
        category="single",
        source="https://developers.google.com/maps/documentation/directions/get-directions",
        question="How do I bike from Golden Gate Park to the Ferry Building in San Francisco?",
        functions=[GMAPS_DIRECTIONS],
        expected=[
            Call(
                "google_maps_directions",
                {
                    "origin": OneOf(
                        (
                            "Golden Gate Park",
                            "Golden Gate Park, San Francisco",
                            "Golden Gate Park, San Francisco, CA",
                        )
                    ),
                    "destination": OneOf(
                        (
                            "Ferry Building",
                            "Ferry Building, San Francisco",
                            "Ferry Building, San Francisco, CA",
                        )
                    ),
                    "mode": "bicycling",
                },
            )
        ],
    ),
    Case(
        id="single-gcal-1",
        category="single",
        source="https://developers.google.com/calendar/api/v3/reference/events/list",
        question="Find every event with 'dentist' in it on my primary calendar.",
        functions=[GCAL_LIST_EVENTS],
        expected=[Call("google_calendar_list_events", {"calendarId": "primary", "q": "dentist"})],
    ),
    Case(
        id="single-nominatim-1",
        category="single",
        source="https://nominatim.org/release-docs/latest/api/Search/",
        question="Where exactly is the Brandenburg Gate? Only the top 3 matches, and include "
        "the full address breakdown.",
        functions=[NOMINATIM_SEARCH],
        expected=[
            Call(
                "nominatim_search",
                {
                    "q": OneOf(
                        ("Brandenburg Gate", "Brandenburger Tor", "Brandenburg Gate, Berlin")
                    ),
                    "limit": 3,
                    "addressdetails": 1,
                },
            )
        ],
    ),
    Case(
        id="single-restcountries-1",
        category="single",
        source="https://restcountries.com/#endpoints-name",
        question="Tell me about Niger. The country called exactly Niger, not Nigeria!",
        functions=[RESTCOUNTRIES_NAME],
        expected=[Call("restcountries_by_name", {"name": "Niger", "fullText": True})],
    ),
    Case(
        id="single-frankfurter-1",
        category="single",
        source="https://frankfurter.dev/",
        question="how many yen is 250 us dollars today",
        functions=[FRANKFURTER_LATEST],
        expected=[Call("frankfurter_latest_rates", {"amount": 250, "from": "USD", "to": "JPY"})],
    ),
    Case(
        id="single-frankfurter-2",
        category="single",
        source="https://frankfurter.dev/",
        question="What was the British pound to Swiss franc exchange rate on 3 March 2020?",
        functions=[FRANKFURTER_HISTORICAL],
        expected=[
            Call(
                "frankfurter_historical_rates",
                {"date": "2020-03-03", "from": "GBP", "to": "CHF"},
            )
        ],
    ),
    Case(
        id="single-alphavantage-1",
        category="single",
        source="https://www.alphavantage.co/documentation/#daily",
        question="I need IBM's complete daily price history (all 20+ years) as a CSV file so I "
        "can load it into my spreadsheet.",
        functions=[ALPHAVANTAGE_DAILY],
        expected=[
            Call(
                "alphavantage_time_series_daily",
                {"symbol": "IBM", "outputsize": "full", "datatype": "csv"},
            )
        ],
    ),
    Case(
        id="single-nasa-1",
        category="single",
        source="https://api.nasa.gov/",
        question="Show me NASA's astronomy picture of the day from July 20, 1995. It's my "
        "birthday!",
        functions=[NASA_APOD],
        expected=[Call("nasa_apod", {"date": "1995-07-20"})],
    ),
    Case(
        id="single-tmdb-1",
        category="single",
        source="https://developer.themoviedb.org/reference/search-movie",
        question="Find the 1982 movie Blade Runner.",
        functions=[TMDB_SEARCH_MOVIE],
        expected=[Call("tmdb_search_movie", {"query": "Blade Runner", "year": 1982})],
    ),
    Case(
        id="single-tmdb-2",
        category="single",
        source="https://developer.themoviedb.org/reference/search-tv",
        question="look up the show Dark (the german one that started in 2017), results in "
        "german pls",
        functions=[TMDB_SEARCH_TV],
        expected=[
            Call(
                "tmdb_search_tv",
                {
                    "query": "Dark",
                    "first_air_date_year": 2017,
                    "language": OneOf(("de", "de-DE")),
                },
            )
        ],
    ),
    Case(
        id="single-openlibrary-1",
        category="single",
        source="https://openlibrary.org/dev/docs/api/search",
        question="What books by Ursula K. Le Guin are on Open Library? The first 10 are enough.",
        functions=[OPENLIBRARY_SEARCH],
        expected=[
            Call(
                "openlibrary_search",
                {
                    "author": OneOf(("Ursula K. Le Guin", "Ursula K Le Guin", "Ursula Le Guin")),
                    "limit": 10,
                },
            )
        ],
    ),
    Case(
        id="single-jira-1",
        category="single",
        source="https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-get",
        question="Pull up ticket PROJ-482 along with its changelog.",
        functions=[JIRA_GET_ISSUE],
        expected=[Call("jira_get_issue", {"issueIdOrKey": "PROJ-482", "expand": "changelog"})],
    ),
    Case(
        id="single-trello-1",
        category="single",
        source="https://developer.atlassian.com/cloud/trello/rest/api-group-cards/#api-cards-post",
        question="Put a card 'Renew SSL certificates' at the top of my Trello list "
        "60d5f1c2a7b3e41f8c9d0e12.",
        functions=[TRELLO_CREATE_CARD],
        expected=[
            Call(
                "trello_create_card",
                {
                    "idList": "60d5f1c2a7b3e41f8c9d0e12",
                    "name": "Renew SSL certificates",
                    "pos": "top",
                },
            )
        ],
    ),
    Case(
        id="single-shopify-1",
        category="single",
        source="https://shopify.dev/docs/api/admin-rest/latest/resources/product#get-products",
        question="Which draft products do we have from the vendor Acme Outdoor?",
        functions=[SHOPIFY_LIST_PRODUCTS],
        expected=[Call("shopify_list_products", {"status": "draft", "vendor": "Acme Outdoor"})],
    ),
    Case(
        id="single-notion-1",
        category="single",
        source="https://developers.notion.com/reference/post-search",
        question="Find the Notion page called Q3 roadmap. Pages only, I don't want databases.",
        functions=[NOTION_SEARCH],
        expected=[
            Call(
                "notion_search",
                {"query": "Q3 roadmap", "filter": {"value": "page", "property": "object"}},
            )
        ],
    ),
    Case(
        id="single-discord-1",
        category="single",
        source="https://discord.com/developers/docs/resources/message#create-message",
        question='Send "Server restarting in 5 minutes, save your work" to channel '
        "1098765432101234567, with text-to-speech on so people actually hear it.",
        functions=[DISCORD_CREATE_MESSAGE],
        expected=[
            Call(
                "discord_create_message",
                {
                    "channel_id": "1098765432101234567",
                    "content": "Server restarting in 5 minutes, save your work",
                    "tts": True,
                },
            )
        ],
    ),
    Case(
        id="single-wikipedia-1",
        category="single",
        source="https://en.wikipedia.org/api/rest_v1/#/Page%20content/get_page_summary__title_",
        question="give me a quick summary of ada lovelace from wikipedia",
        functions=[WIKIPEDIA_SUMMARY],
        expected=[
            Call("wikipedia_page_summary", {"title": OneOf(("Ada Lovelace", "Ada_Lovelace"))})
        ],
    ),
    Case(
        id="single-youtube-1",
        category="single",
        source="https://developers.google.com/youtube/v3/docs/search/list",
        question="Show me the 10 most viewed sourdough baking tutorials on YouTube.",
        functions=[YOUTUBE_SEARCH],
        expected=[
            Call(
                "youtube_search",
                {
                    "part": "snippet",
                    "q": OneOf(
                        (
                            "sourdough baking tutorial",
                            "sourdough baking tutorials",
                            "sourdough baking",
                        )
                    ),
                    "order": "viewCount",
                    "maxResults": 10,
                },
            )
        ],
    ),
    Case(
        id="single-mapbox-1",
        category="single",
        source="https://docs.mapbox.com/api/search/geocoding/#forward-geocoding-with-search-text-input",
        question="Geocode 221B Baker Street, London. Restrict it to Great Britain and give me "
        "just one result.",
        functions=[MAPBOX_GEOCODE],
        expected=[
            Call(
                "mapbox_forward_geocode",
                {
                    "q": OneOf(("221B Baker Street, London", "221B Baker Street")),
                    "country": "gb",
                    "limit": 1,
                },
            )
        ],
    ),
    Case(
        id="single-yelp-1",
        category="single",
        source="https://docs.developer.yelp.com/reference/v3_business_search",
        question="Just landed and I'm starving. Ramen places in Portland, Oregon that are "
        "open right now, best rated first?",
        functions=[YELP_SEARCH],
        expected=[
            Call(
                "yelp_business_search",
                {
                    "term": "ramen",
                    "location": OneOf(("Portland, Oregon", "Portland, OR", "Portland OR")),
                    "open_now": True,
                    "sort_by": "rating",
                },
            )
        ],
    ),
    Case(
        id="single-hackernews-1",
        category="single",
        source="https://github.com/HackerNews/API#items",
        question="what's hacker news item 8863",
        functions=[HN_ITEM],
        expected=[Call("hackernews_get_item", {"id": 8863})],
    ),
    Case(
        id="single-pokeapi-1",
        category="single",
        source="https://pokeapi.co/docs/v2#pokemon",
        question="What are Gengar's base stats?",
        functions=[POKEAPI_POKEMON],
        expected=[Call("pokeapi_get_pokemon", {"id_or_name": OneOf(("gengar", "94"))})],
    ),
    Case(
        id="single-coingecko-1",
        category="single",
        source="https://docs.coingecko.com/reference/simple-price",
        question="price of solana in euros, plus how much it moved in the last 24h?",
        functions=[COINGECKO_PRICE],
        expected=[
            Call(
                "coingecko_simple_price",
                {"ids": "solana", "vs_currencies": "eur", "include_24hr_change": True},
            )
        ],
    ),
    Case(
        id="single-zoom-1",
        category="single",
        source="https://developers.zoom.us/docs/api/meetings/#tag/meetings/POST/users/{userId}/meetings",
        question="Set up a 45 min Zoom for me called 'Design review' on Sept 18 2024 at 2pm "
        "Berlin time.",
        functions=[ZOOM_CREATE_MEETING],
        expected=[
            Call(
                "zoom_create_meeting",
                {
                    "userId": "me",
                    "topic": "Design review",
                    "start_time": OneOf(
                        ("2024-09-18T14:00:00", "2024-09-18T14:00", "2024-09-18T12:00:00Z")
                    ),
                    "duration": 45,
                    "timezone": "Europe/Berlin",
                },
            )
        ],
    ),
    Case(
        id="single-dropbox-1",
        category="single",
        source="https://www.dropbox.com/developers/documentation/http/documentation#files-create_folder",
        question="make a folder /Projects/2025 Taxes in my dropbox, and if that name's taken "
        "just let it auto-rename",
        functions=[DROPBOX_CREATE_FOLDER],
        expected=[
            Call("dropbox_create_folder", {"path": "/Projects/2025 Taxes", "autorename": True})
        ],
    ),
    Case(
        id="single-mailchimp-1",
        category="single",
        source="https://mailchimp.com/developer/marketing/api/list-members/add-member-to-list/",
        question="Add jane.doe@example.com to our Mailchimp audience a1b2c3d4e5, but with "
        "double opt-in so she has to confirm first.",
        functions=[MAILCHIMP_ADD_MEMBER],
        expected=[
            Call(
                "mailchimp_add_list_member",
                {
                    "list_id": "a1b2c3d4e5",
                    "email_address": "jane.doe@example.com",
                    "status": "pending",
                },
            )
        ],
    ),
    Case(
        id="single-usgs-1",
        category="single",
        source="https://earthquake.usgs.gov/fdsnws/event/1/",
        question="List every earthquake of magnitude 6 or more since January 1, 2024, biggest "
        "first, in GeoJSON.",
        functions=[USGS_EARTHQUAKES],
        expected=[
            Call(
                "usgs_earthquake_query",
                {
                    "format": "geojson",
                    "starttime": OneOf(("2024-01-01", "2024-01-01T00:00:00")),
                    "minmagnitude": 6,
                    "orderby": "magnitude",
                },
            )
        ],
    ),
    Case(
        id="single-airtable-1",
        category="single",
        source="https://airtable.com/developers/web/api/list-records",
        question="From base appX7kLm2Qp9RsTu, table Leads, grab the first 20 recrods in the "
        "'Hot leads' view.",
        functions=[AIRTABLE_LIST_RECORDS],
        expected=[
            Call(
                "airtable_list_records",
                {
                    "baseId": "appX7kLm2Qp9RsTu",
                    "tableIdOrName": "Leads",
                    "view": "Hot leads",
                    "maxRecords": 20,
                },
            )
        ],
    ),
]
