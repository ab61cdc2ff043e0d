"""choice cases: several similar functions of one API offered, one of them is the right call."""

from __future__ import annotations

from bench.plan_cases import Call, Case, OneOf

# --- GitHub REST -----------------------------------------------------------------------

_OWNER = {
    "type": "string",
    "description": "The account owner of the repository (user or organization).",
}
_REPO = {"type": "string", "description": "The name of the repository, without the .git extension."}

GH_GET_REPO = {
    "name": "github_get_repo",
    "description": (
        "Get a repository: description, stars, forks, open issue count, default branch, license."
    ),
    "parameters": {
        "type": "object",
        "properties": {"owner": _OWNER, "repo": _REPO},
        "required": ["owner", "repo"],
    },
}

GH_LIST_ISSUES = {
    "name": "github_list_issues",
    "description": (
        "List issues in a repository (pull requests are included by GitHub as issues too)."
    ),
    "parameters": {
        "type": "object",
        "properties": {
            "owner": _OWNER,
            "repo": _REPO,
            "state": {
                "type": "string",
                "enum": ["open", "closed", "all"],
                "default": "open",
                "description": "Which issues to return by state.",
            },
            "labels": {
                "type": "string",
                "description": "Comma-separated list of label names, e.g. bug,ui.",
            },
            "assignee": {
                "type": "string",
                "description": "Login of the assigned user; 'none' or '*' also work.",
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
                "description": "The direction of the sort.",
            },
            "per_page": {
                "type": "integer",
                "default": 30,
                "description": "Results per page (max 100).",
            },
        },
        "required": ["owner", "repo"],
    },
}

GH_CREATE_ISSUE = {
    "name": "github_create_issue",
    "description": "Create an issue in a repository.",
    "parameters": {
        "type": "object",
        "properties": {
            "owner": _OWNER,
            "repo": _REPO,
            "title": {"type": "string", "description": "The title of the issue."},
            "body": {"type": "string", "description": "The contents of the issue."},
            "labels": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Labels to add.",
            },
            "assignees": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Logins to assign.",
            },
        },
        "required": ["owner", "repo", "title"],
    },
}

GH_LIST_PULLS = {
    "name": "github_list_pull_requests",
    "description": "List pull requests in a repository.",
    "parameters": {
        "type": "object",
        "properties": {
            "owner": _OWNER,
            "repo": _REPO,
            "state": {
                "type": "string",
                "enum": ["open", "closed", "all"],
                "default": "open",
                "description": "Either open, closed, or all.",
            },
            "base": {"type": "string", "description": "Filter by base branch name, e.g. main."},
            "head": {
                "type": "string",
                "description": "Filter by head user/org and branch, as user:ref-name.",
            },
            "per_page": {
                "type": "integer",
                "default": 30,
                "description": "Results per page (max 100).",
            },
        },
        "required": ["owner", "repo"],
    },
}

GH_SEARCH_REPOS = {
    "name": "github_search_repositories",
    "description": (
        "Search repositories by keywords and qualifiers (language:, stars:, topic:, ...)."
    ),
    "parameters": {
        "type": "object",
        "properties": {
            "q": {"type": "string", "description": "The query: keywords plus qualifiers."},
            "sort": {
                "type": "string",
                "enum": ["stars", "forks", "help-wanted-issues", "updated"],
                "description": "Sort by this field; best match when left out.",
            },
            "order": {
                "type": "string",
                "enum": ["asc", "desc"],
                "default": "desc",
                "description": "Sort order.",
            },
            "per_page": {
                "type": "integer",
                "default": 30,
                "description": "Results per page (max 100).",
            },
        },
        "required": ["q"],
    },
}

# --- OpenWeatherMap ----------------------------------------------------------------------

_UNITS = {
    "type": "string",
    "enum": ["standard", "metric", "imperial"],
    "default": "standard",
    "description": "Units: standard (Kelvin), metric (Celsius), imperial (Fahrenheit).",
}
_LANG = {
    "type": "string",
    "description": "Language code for the weather description, e.g. en, de, pl.",
}

OWM_CURRENT = {
    "name": "get_current_weather",
    "description": "Current weather for a city (OpenWeatherMap current weather data).",
    "parameters": {
        "type": "object",
        "properties": {
            "q": {
                "type": "string",
                "description": "City name, optionally with state and country code: London,GB.",
            },
            "units": _UNITS,
            "lang": _LANG,
        },
        "required": ["q"],
    },
}

OWM_FORECAST = {
    "name": "get_5day_forecast",
    "description": "5 day weather forecast for a city in 3-hour steps (OpenWeatherMap).",
    "parameters": {
        "type": "object",
        "properties": {
            "q": {
                "type": "string",
                "description": "City name, optionally with state and country code.",
            },
            "units": _UNITS,
            "cnt": {
                "type": "integer",
                "description": "Number of 3-hour timestamps to return (max 40).",
            },
            "lang": _LANG,
        },
        "required": ["q"],
    },
}

OWM_AIR = {
    "name": "get_air_pollution",
    "description": (
        "Current air pollution at a point: AQI and CO, NO2, O3, SO2, PM2.5, PM10 concentrations."
    ),
    "parameters": {
        "type": "object",
        "properties": {
            "lat": {"type": "number", "description": "Latitude."},
            "lon": {"type": "number", "description": "Longitude."},
        },
        "required": ["lat", "lon"],
    },
}

OWM_GEOCODE = {
    "name": "geocode_city",
    "description": "Direct geocoding: coordinates of places matching a city name.",
    "parameters": {
        "type": "object",
        "properties": {
            "q": {
                "type": "string",
                "description": "City name, state code and country code, comma-separated.",
            },
            "limit": {
                "type": "integer",
                "default": 5,
                "description": "Number of locations to return (max 5).",
            },
        },
        "required": ["q"],
    },
}

# --- Open-Meteo --------------------------------------------------------------------------

_LAT = {"type": "number", "description": "WGS84 latitude."}
_LON = {"type": "number", "description": "WGS84 longitude."}
_TEMP_UNIT = {
    "type": "string",
    "enum": ["celsius", "fahrenheit"],
    "default": "celsius",
    "description": "Unit for temperatures.",
}

OM_FORECAST = {
    "name": "openmeteo_forecast",
    "description": (
        "Weather forecast for a coordinate, up to 16 days, hourly and/or daily variables."
    ),
    "parameters": {
        "type": "object",
        "properties": {
            "latitude": _LAT,
            "longitude": _LON,
            "hourly": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Hourly variables, e.g. temperature_2m.",
            },
            "daily": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Daily variables, e.g. temperature_2m_max.",
            },
            "temperature_unit": _TEMP_UNIT,
            "timezone": {
                "type": "string",
                "default": "GMT",
                "description": "Time zone name, or auto.",
            },
            "forecast_days": {
                "type": "integer",
                "default": 7,
                "description": "Days of forecast (0-16).",
            },
        },
        "required": ["latitude", "longitude"],
    },
}

OM_ARCHIVE = {
    "name": "openmeteo_historical_weather",
    "description": "Historical weather (reanalysis archive) for a coordinate and a date range.",
    "parameters": {
        "type": "object",
        "properties": {
            "latitude": _LAT,
            "longitude": _LON,
            "start_date": {"type": "string", "description": "First day, yyyy-mm-dd."},
            "end_date": {"type": "string", "description": "Last day, yyyy-mm-dd."},
            "hourly": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Hourly variables.",
            },
            "daily": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Daily variables, e.g. temperature_2m_max.",
            },
            "temperature_unit": _TEMP_UNIT,
            "timezone": {
                "type": "string",
                "default": "GMT",
                "description": "Time zone name, or auto.",
            },
        },
        "required": ["latitude", "longitude", "start_date", "end_date"],
    },
}

OM_AIR = {
    "name": "openmeteo_air_quality",
    "description": (
        "Air quality forecast for a coordinate: pm10, pm2_5, ozone, european_aqi, pollen, ..."
    ),
    "parameters": {
        "type": "object",
        "properties": {
            "latitude": _LAT,
            "longitude": _LON,
            "hourly": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Hourly variables, e.g. pm10, pm2_5.",
            },
            "timezone": {
                "type": "string",
                "default": "GMT",
                "description": "Time zone name, or auto.",
            },
            "forecast_days": {
                "type": "integer",
                "default": 5,
                "description": "Days of forecast (0-7).",
            },
        },
        "required": ["latitude", "longitude"],
    },
}

# --- Stripe ------------------------------------------------------------------------------

STRIPE_CREATE_CUSTOMER = {
    "name": "stripe_create_customer",
    "description": "Create a Stripe customer.",
    "parameters": {
        "type": "object",
        "properties": {
            "email": {"type": "string", "description": "Customer's email address."},
            "name": {"type": "string", "description": "The customer's full name or business name."},
            "phone": {"type": "string", "description": "The customer's phone number."},
            "description": {
                "type": "string",
                "description": "An arbitrary string, shown in the dashboard.",
            },
        },
    },
}

STRIPE_LIST_CHARGES = {
    "name": "stripe_list_charges",
    "description": "List charges, newest first.",
    "parameters": {
        "type": "object",
        "properties": {
            "customer": {
                "type": "string",
                "description": "Only charges for this customer id (cus_...).",
            },
            "payment_intent": {
                "type": "string",
                "description": "Only charges created by this PaymentIntent id.",
            },
            "limit": {
                "type": "integer",
                "default": 10,
                "description": "Number of objects to return (1-100).",
            },
        },
    },
}

STRIPE_BALANCE = {
    "name": "stripe_retrieve_balance",
    "description": (
        "Retrieve the current account balance: available and pending funds per currency."
    ),
    "parameters": {"type": "object", "properties": {}},
}

STRIPE_CREATE_PI = {
    "name": "stripe_create_payment_intent",
    "description": "Create a PaymentIntent to collect a payment from a customer.",
    "parameters": {
        "type": "object",
        "properties": {
            "amount": {
                "type": "integer",
                "description": "Amount in the smallest currency unit (e.g. cents).",
            },
            "currency": {
                "type": "string",
                "description": "Three-letter ISO currency code, lowercase.",
            },
            "customer": {"type": "string", "description": "ID of the customer (cus_...)."},
            "description": {
                "type": "string",
                "description": "An arbitrary string for the payment.",
            },
            "receipt_email": {
                "type": "string",
                "description": "Email address to send the receipt to.",
            },
        },
        "required": ["amount", "currency"],
    },
}

STRIPE_CREATE_REFUND = {
    "name": "stripe_create_refund",
    "description": "Refund a charge or PaymentIntent, fully or partly.",
    "parameters": {
        "type": "object",
        "properties": {
            "payment_intent": {
                "type": "string",
                "description": "ID of the PaymentIntent to refund (pi_...).",
            },
            "charge": {"type": "string", "description": "ID of the charge to refund (ch_...)."},
            "amount": {
                "type": "integer",
                "description": "Amount to refund in the smallest currency unit; all when left out.",
            },
            "reason": {
                "type": "string",
                "enum": ["duplicate", "fraudulent", "requested_by_customer"],
                "description": "Reason for the refund.",
            },
        },
    },
}

# --- Slack Web API -----------------------------------------------------------------------

SLACK_POST = {
    "name": "slack_post_message",
    "description": "chat.postMessage: send a message to a channel.",
    "parameters": {
        "type": "object",
        "properties": {
            "channel": {
                "type": "string",
                "description": "Channel, private group, or IM channel id (or name).",
            },
            "text": {"type": "string", "description": "The message text."},
            "thread_ts": {
                "type": "string",
                "description": "Timestamp of a parent message, to reply in its thread.",
            },
            "unfurl_links": {"type": "boolean", "description": "Unfurl text-based content."},
        },
        "required": ["channel", "text"],
    },
}

SLACK_LIST_CONV = {
    "name": "slack_list_conversations",
    "description": "conversations.list: list channels in the workspace.",
    "parameters": {
        "type": "object",
        "properties": {
            "types": {
                "type": "string",
                "default": "public_channel",
                "description": "Comma-separated mix of public_channel, private_channel, mpim, im.",
            },
            "exclude_archived": {
                "type": "boolean",
                "default": False,
                "description": "Leave out archived channels.",
            },
            "limit": {
                "type": "integer",
                "default": 100,
                "description": "Maximum number of items (max 1000).",
            },
        },
    },
}

SLACK_LOOKUP_EMAIL = {
    "name": "slack_lookup_user_by_email",
    "description": "users.lookupByEmail: find a user by email address.",
    "parameters": {
        "type": "object",
        "properties": {
            "email": {"type": "string", "description": "An email address belonging to a user."}
        },
        "required": ["email"],
    },
}

SLACK_REACT = {
    "name": "slack_add_reaction",
    "description": "reactions.add: add an emoji reaction to a message.",
    "parameters": {
        "type": "object",
        "properties": {
            "channel": {
                "type": "string",
                "description": "Channel id where the message was posted.",
            },
            "timestamp": {"type": "string", "description": "Timestamp (ts) of the message."},
            "name": {
                "type": "string",
                "description": "Reaction (emoji) name, without colons, e.g. thumbsup.",
            },
        },
        "required": ["channel", "timestamp", "name"],
    },
}

# --- Spotify Web API ---------------------------------------------------------------------

_MARKET = {"type": "string", "description": "An ISO 3166-1 alpha-2 country code, e.g. US."}

SPOTIFY_SEARCH = {
    "name": "spotify_search",
    "description": (
        "Search the Spotify catalog for albums, artists, playlists, "
        "tracks, shows, episodes or audiobooks."
    ),
    "parameters": {
        "type": "object",
        "properties": {
            "q": {
                "type": "string",
                "description": "Search query keywords and optional field filters (artist:, year:).",
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
            "market": _MARKET,
            "limit": {
                "type": "integer",
                "default": 20,
                "description": "Maximum results per type (0-50).",
            },
        },
        "required": ["q", "type"],
    },
}

SPOTIFY_TOP_TRACKS = {
    "name": "spotify_get_artist_top_tracks",
    "description": "Get an artist's top tracks by country.",
    "parameters": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "The Spotify ID of the artist."},
            "market": _MARKET,
        },
        "required": ["id"],
    },
}

SPOTIFY_CREATE_PLAYLIST = {
    "name": "spotify_create_playlist",
    "description": "Create an (empty) playlist for a Spotify user.",
    "parameters": {
        "type": "object",
        "properties": {
            "user_id": {"type": "string", "description": "The user's Spotify user ID."},
            "name": {"type": "string", "description": "The name for the new playlist."},
            "public": {
                "type": "boolean",
                "default": True,
                "description": "Whether the playlist is public.",
            },
            "collaborative": {
                "type": "boolean",
                "default": False,
                "description": "Whether others can modify it.",
            },
            "description": {"type": "string", "description": "Playlist description."},
        },
        "required": ["user_id", "name"],
    },
}

SPOTIFY_ADD_TRACKS = {
    "name": "spotify_add_items_to_playlist",
    "description": "Add tracks or episodes to a playlist.",
    "parameters": {
        "type": "object",
        "properties": {
            "playlist_id": {"type": "string", "description": "The Spotify ID of the playlist."},
            "uris": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Spotify URIs, e.g. spotify:track:...",
            },
            "position": {
                "type": "integer",
                "description": "Zero-based position to insert at; appended when left out.",
            },
        },
        "required": ["playlist_id", "uris"],
    },
}

# --- Frankfurter -------------------------------------------------------------------------

_BASE = {
    "type": "string",
    "default": "EUR",
    "description": "Three-letter currency code to quote against.",
}
_SYMBOLS = {
    "type": "string",
    "description": "Comma-separated currency codes to limit the result to.",
}

FX_LATEST = {
    "name": "frankfurter_latest",
    "description": "Latest exchange rates (ECB reference rates), optionally converting an amount.",
    "parameters": {
        "type": "object",
        "properties": {
            "base": _BASE,
            "symbols": _SYMBOLS,
            "amount": {"type": "number", "default": 1, "description": "Amount to convert."},
        },
    },
}

FX_HISTORICAL = {
    "name": "frankfurter_historical",
    "description": "Exchange rates on a past date (since 1999-01-04).",
    "parameters": {
        "type": "object",
        "properties": {
            "date": {"type": "string", "description": "The date, yyyy-mm-dd."},
            "base": _BASE,
            "symbols": _SYMBOLS,
            "amount": {"type": "number", "default": 1, "description": "Amount to convert."},
        },
        "required": ["date"],
    },
}

FX_SERIES = {
    "name": "frankfurter_time_series",
    "description": "Exchange rates for every working day in a date range.",
    "parameters": {
        "type": "object",
        "properties": {
            "start_date": {"type": "string", "description": "First day, yyyy-mm-dd."},
            "end_date": {
                "type": "string",
                "description": "Last day, yyyy-mm-dd; today when left out.",
            },
            "base": _BASE,
            "symbols": _SYMBOLS,
        },
        "required": ["start_date"],
    },
}

FX_CURRENCIES = {
    "name": "frankfurter_currencies",
    "description": "List the available currencies with their full names.",
    "parameters": {"type": "object", "properties": {}},
}

# --- REST Countries ----------------------------------------------------------------------

_FIELDS = {
    "type": "string",
    "description": "Comma-separated fields to return, e.g. name,capital,population.",
}

RC_NAME = {
    "name": "restcountries_by_name",
    "description": "Search countries by common or official name.",
    "parameters": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "The country name, or part of it."},
            "fullText": {
                "type": "boolean",
                "default": False,
                "description": "Match the full name exactly.",
            },
            "fields": _FIELDS,
        },
        "required": ["name"],
    },
}

RC_CAPITAL = {
    "name": "restcountries_by_capital",
    "description": "Find countries by capital city.",
    "parameters": {
        "type": "object",
        "properties": {
            "capital": {"type": "string", "description": "Capital city name."},
            "fields": _FIELDS,
        },
        "required": ["capital"],
    },
}

RC_CURRENCY = {
    "name": "restcountries_by_currency",
    "description": "Find countries by currency code or name.",
    "parameters": {
        "type": "object",
        "properties": {
            "currency": {"type": "string", "description": "Currency code or name, e.g. cop."},
            "fields": _FIELDS,
        },
        "required": ["currency"],
    },
}

RC_REGION = {
    "name": "restcountries_by_region",
    "description": (
        "List countries in a region: africa, americas, asia, europe, oceania, antarctic."
    ),
    "parameters": {
        "type": "object",
        "properties": {
            "region": {"type": "string", "description": "Region name."},
            "fields": _FIELDS,
        },
        "required": ["region"],
    },
}

RC_LANG = {
    "name": "restcountries_by_language",
    "description": "Find countries by language code or name.",
    "parameters": {
        "type": "object",
        "properties": {
            "lang": {
                "type": "string",
                "description": "Language code or name, e.g. spa or spanish.",
            },
            "fields": _FIELDS,
        },
        "required": ["lang"],
    },
}

# --- TMDB --------------------------------------------------------------------------------

_TMDB_LANG = {
    "type": "string",
    "default": "en-US",
    "description": "ISO 639-1 language, optionally with region: fr-FR.",
}

TMDB_SEARCH_MOVIE = {
    "name": "tmdb_search_movie",
    "description": "Search movies by original, translated and alternative titles.",
    "parameters": {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "Text to search for."},
            "year": {"type": "integer", "description": "Release year to filter by."},
            "include_adult": {
                "type": "boolean",
                "default": False,
                "description": "Include adult titles.",
            },
            "language": _TMDB_LANG,
            "page": {"type": "integer", "default": 1, "description": "Result page."},
        },
        "required": ["query"],
    },
}

TMDB_SEARCH_TV = {
    "name": "tmdb_search_tv",
    "description": "Search TV shows by original, translated and also known as names.",
    "parameters": {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "Text to search for."},
            "first_air_date_year": {
                "type": "integer",
                "description": "Year of the first air date.",
            },
            "language": _TMDB_LANG,
            "page": {"type": "integer", "default": 1, "description": "Result page."},
        },
        "required": ["query"],
    },
}

TMDB_DETAILS = {
    "name": "tmdb_get_movie_details",
    "description": "Get the top level details of a movie by TMDB id.",
    "parameters": {
        "type": "object",
        "properties": {
            "movie_id": {"type": "integer", "description": "TMDB movie id."},
            "language": _TMDB_LANG,
            "append_to_response": {
                "type": "string",
                "description": "Comma-separated extra sub-requests, e.g. credits,videos,images.",
            },
        },
        "required": ["movie_id"],
    },
}

TMDB_TRENDING = {
    "name": "tmdb_trending",
    "description": "Get the trending movies, TV shows or people for the day or the week.",
    "parameters": {
        "type": "object",
        "properties": {
            "media_type": {
                "type": "string",
                "enum": ["all", "movie", "tv", "person"],
                "description": "What kind.",
            },
            "time_window": {
                "type": "string",
                "enum": ["day", "week"],
                "description": "Trending today or this week.",
            },
            "language": _TMDB_LANG,
        },
        "required": ["media_type", "time_window"],
    },
}

# --- Open Library ------------------------------------------------------------------------

OL_SEARCH = {
    "name": "openlibrary_search",
    "description": "Search books (works) by free text, title or author.",
    "parameters": {
        "type": "object",
        "properties": {
            "q": {"type": "string", "description": "Free-text query."},
            "title": {"type": "string", "description": "Search by title."},
            "author": {"type": "string", "description": "Search by author name."},
            "limit": {"type": "integer", "description": "Number of results."},
            "page": {"type": "integer", "default": 1, "description": "Result page."},
        },
    },
}

OL_SEARCH_AUTHORS = {
    "name": "openlibrary_search_authors",
    "description": (
        "Search authors by name; returns author keys, birth dates, top work, work count."
    ),
    "parameters": {
        "type": "object",
        "properties": {"q": {"type": "string", "description": "Author name to search for."}},
        "required": ["q"],
    },
}

OL_WORK = {
    "name": "openlibrary_get_work",
    "description": "Get a work by its Open Library work id (OL...W).",
    "parameters": {
        "type": "object",
        "properties": {"work_id": {"type": "string", "description": "Work id, e.g. OL45804W."}},
        "required": ["work_id"],
    },
}

OL_ISBN = {
    "name": "openlibrary_get_edition_by_isbn",
    "description": "Get the edition with an ISBN (10 or 13 digits).",
    "parameters": {
        "type": "object",
        "properties": {"isbn": {"type": "string", "description": "ISBN-10 or ISBN-13."}},
        "required": ["isbn"],
    },
}

# --- Google Calendar ---------------------------------------------------------------------

_CAL_ID = {
    "type": "string",
    "description": "Calendar identifier; 'primary' for the user's primary calendar.",
}
_EVENT_TIME = {
    "type": "object",
    "properties": {
        "dateTime": {
            "type": "string",
            "description": "RFC3339 time, e.g. 2024-05-14T15:00:00-07:00.",
        },
        "date": {"type": "string", "description": "yyyy-mm-dd, for all-day events."},
        "timeZone": {"type": "string", "description": "IANA time zone, e.g. Europe/Zurich."},
    },
}

GCAL_LIST = {
    "name": "gcal_list_events",
    "description": "events.list: list events on a calendar.",
    "parameters": {
        "type": "object",
        "properties": {
            "calendarId": _CAL_ID,
            "q": {"type": "string", "description": "Free text search terms to find events."},
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
                "description": "Maximum events per page.",
            },
            "singleEvents": {
                "type": "boolean",
                "default": False,
                "description": "Expand recurring events.",
            },
            "orderBy": {
                "type": "string",
                "enum": ["startTime", "updated"],
                "description": "Order of the events.",
            },
        },
        "required": ["calendarId"],
    },
}

GCAL_INSERT = {
    "name": "gcal_insert_event",
    "description": "events.insert: create an event.",
    "parameters": {
        "type": "object",
        "properties": {
            "calendarId": _CAL_ID,
            "summary": {"type": "string", "description": "Title of the event."},
            "location": {"type": "string", "description": "Geographic location as free-form text."},
            "description": {"type": "string", "description": "Description of the event."},
            "start": _EVENT_TIME,
            "end": _EVENT_TIME,
        },
        "required": ["calendarId", "start", "end"],
    },
}

GCAL_DELETE = {
    "name": "gcal_delete_event",
    "description": "events.delete: delete an event.",
    "parameters": {
        "type": "object",
        "properties": {
            "calendarId": _CAL_ID,
            "eventId": {"type": "string", "description": "Event identifier."},
            "sendUpdates": {
                "type": "string",
                "enum": ["all", "externalOnly", "none"],
                "description": "Who gets notified of the deletion.",
            },
        },
        "required": ["calendarId", "eventId"],
    },
}

# --- Trello ------------------------------------------------------------------------------

TRELLO_CREATE_CARD = {
    "name": "trello_create_card",
    "description": "Create a new card on a list.",
    "parameters": {
        "type": "object",
        "properties": {
            "idList": {"type": "string", "description": "The ID of the list the card goes in."},
            "name": {"type": "string", "description": "The name of the card."},
            "desc": {"type": "string", "description": "The description of the card."},
            "pos": {"type": "string", "description": "Position: top, bottom, or a positive float."},
            "due": {"type": "string", "description": "A due date, ISO 8601."},
            "idLabels": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Label IDs to add.",
            },
        },
        "required": ["idList"],
    },
}

TRELLO_GET_LISTS = {
    "name": "trello_get_board_lists",
    "description": "Get the lists on a board.",
    "parameters": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "The ID of the board."},
            "filter": {
                "type": "string",
                "enum": ["all", "closed", "none", "open"],
                "description": "Which lists.",
            },
        },
        "required": ["id"],
    },
}

TRELLO_UPDATE_CARD = {
    "name": "trello_update_card",
    "description": "Update a card: rename, move, set due date, archive (closed).",
    "parameters": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "The ID of the card."},
            "name": {"type": "string", "description": "New name."},
            "desc": {"type": "string", "description": "New description."},
            "closed": {"type": "boolean", "description": "Whether the card is archived."},
            "idList": {"type": "string", "description": "The ID of the list to move the card to."},
            "due": {"type": "string", "description": "Due date, ISO 8601, or null."},
        },
        "required": ["id"],
    },
}

TRELLO_COMMENT = {
    "name": "trello_add_comment",
    "description": "Add a comment to a card.",
    "parameters": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "The ID of the card."},
            "text": {"type": "string", "description": "The comment."},
        },
        "required": ["id", "text"],
    },
}

# --- Jira Cloud REST v3 ------------------------------------------------------------------

_ISSUE_KEY = {"type": "string", "description": "Issue id or key, e.g. PROJ-123."}

JIRA_CREATE = {
    "name": "jira_create_issue",
    "description": (
        "Create an issue (fields.project.key, fields.summary, fields.issuetype.name, ...)."
    ),
    "parameters": {
        "type": "object",
        "properties": {
            "project": {"type": "string", "description": "Project key, e.g. PROJ."},
            "summary": {"type": "string", "description": "Issue summary."},
            "issuetype": {
                "type": "string",
                "description": "Issue type name: Bug, Task, Story, Epic.",
            },
            "description": {"type": "string", "description": "Issue description."},
            "priority": {
                "type": "string",
                "description": "Priority name: Highest, High, Medium, Low, Lowest.",
            },
            "labels": {"type": "array", "items": {"type": "string"}, "description": "Labels."},
        },
        "required": ["project", "summary", "issuetype"],
    },
}

JIRA_SEARCH = {
    "name": "jira_search_issues",
    "description": "Search for issues using JQL.",
    "parameters": {
        "type": "object",
        "properties": {
            "jql": {"type": "string", "description": "A JQL expression."},
            "maxResults": {
                "type": "integer",
                "default": 50,
                "description": "Maximum number of issues to return.",
            },
            "startAt": {
                "type": "integer",
                "default": 0,
                "description": "Index of the first issue to return.",
            },
            "fields": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Fields to return per issue.",
            },
        },
        "required": ["jql"],
    },
}

JIRA_TRANSITION = {
    "name": "jira_transition_issue",
    "description": "Perform a workflow transition on an issue (transition.id).",
    "parameters": {
        "type": "object",
        "properties": {
            "issueIdOrKey": _ISSUE_KEY,
            "transition": {"type": "string", "description": "ID of the transition to perform."},
        },
        "required": ["issueIdOrKey", "transition"],
    },
}

JIRA_COMMENT = {
    "name": "jira_add_comment",
    "description": "Add a comment to an issue.",
    "parameters": {
        "type": "object",
        "properties": {
            "issueIdOrKey": _ISSUE_KEY,
            "body": {"type": "string", "description": "The comment text."},
        },
        "required": ["issueIdOrKey", "body"],
    },
}

# --- NASA Open APIs ----------------------------------------------------------------------

NASA_APOD = {
    "name": "nasa_apod",
    "description": "Astronomy Picture of the Day: image or video, title and explanation.",
    "parameters": {
        "type": "object",
        "properties": {
            "date": {
                "type": "string",
                "description": "Date of the picture, YYYY-MM-DD; today when left out.",
            },
            "start_date": {"type": "string", "description": "Start of a date range, YYYY-MM-DD."},
            "end_date": {"type": "string", "description": "End of a date range, YYYY-MM-DD."},
            "count": {
                "type": "integer",
                "description": "Return this many randomly chosen pictures.",
            },
            "thumbs": {
                "type": "boolean",
                "default": False,
                "description": "Return a thumbnail URL for videos.",
            },
        },
    },
}

NASA_NEO_FEED = {
    "name": "nasa_neo_feed",
    "description": (
        "Asteroids (near earth objects) by their closest approach "
        "date to Earth; range up to 7 days."
    ),
    "parameters": {
        "type": "object",
        "properties": {
            "start_date": {"type": "string", "description": "YYYY-MM-DD."},
            "end_date": {
                "type": "string",
                "description": "YYYY-MM-DD; start_date + 7 days when left out.",
            },
        },
        "required": ["start_date"],
    },
}

NASA_MARS = {
    "name": "nasa_mars_rover_photos",
    "description": "Photos taken by a Mars rover on a Martian sol or an Earth date.",
    "parameters": {
        "type": "object",
        "properties": {
            "rover": {
                "type": "string",
                "enum": ["curiosity", "opportunity", "spirit", "perseverance"],
                "description": "Rover.",
            },
            "sol": {"type": "integer", "description": "Martian sol (day) of the rover's mission."},
            "earth_date": {
                "type": "string",
                "description": "Earth date, YYYY-MM-DD (instead of sol).",
            },
            "camera": {
                "type": "string",
                "enum": [
                    "FHAZ",
                    "RHAZ",
                    "MAST",
                    "CHEMCAM",
                    "MAHLI",
                    "MARDI",
                    "NAVCAM",
                    "PANCAM",
                    "MINITES",
                ],
                "description": "Camera abbreviation; FHAZ is the front hazard avoidance camera.",
            },
            "page": {"type": "integer", "default": 1, "description": "Page of 25 photos."},
        },
        "required": ["rover"],
    },
}

# --- CoinGecko ---------------------------------------------------------------------------

CG_PRICE = {
    "name": "coingecko_simple_price",
    "description": "Current price of coins in other currencies.",
    "parameters": {
        "type": "object",
        "properties": {
            "ids": {
                "type": "string",
                "description": "Comma-separated coin ids, e.g. bitcoin,ethereum.",
            },
            "vs_currencies": {
                "type": "string",
                "description": "Comma-separated target currencies, e.g. usd,eur.",
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
                "description": "Include 24h change %.",
            },
        },
        "required": ["ids", "vs_currencies"],
    },
}

CG_MARKET_CHART = {
    "name": "coingecko_coin_market_chart",
    "description": "Historical price, market cap and volume of a coin for the past N days.",
    "parameters": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "Coin id, e.g. bitcoin."},
            "vs_currency": {"type": "string", "description": "Target currency, e.g. usd."},
            "days": {
                "type": "string",
                "description": "Data up to this many days ago: 1, 7, 30, 365, max.",
            },
            "interval": {
                "type": "string",
                "enum": ["daily"],
                "description": "Data interval; automatic when left out.",
            },
        },
        "required": ["id", "vs_currency", "days"],
    },
}

CG_TRENDING = {
    "name": "coingecko_trending",
    "description": (
        "Top trending coins, NFTs and categories searched on CoinGecko in the last 24 hours."
    ),
    "parameters": {"type": "object", "properties": {}},
}

# --- PokeAPI -----------------------------------------------------------------------------

_POKE_NAME = {"type": "string", "description": "Name or numeric id, lowercase, e.g. pikachu."}

POKE_POKEMON = {
    "name": "pokeapi_get_pokemon",
    "description": "Get a Pokémon: types, abilities, base stats, moves, sprites.",
    "parameters": {"type": "object", "properties": {"name": _POKE_NAME}, "required": ["name"]},
}

POKE_ABILITY = {
    "name": "pokeapi_get_ability",
    "description": "Get an ability: its effect text and the Pokémon that can have it.",
    "parameters": {"type": "object", "properties": {"name": _POKE_NAME}, "required": ["name"]},
}

POKE_TYPE = {
    "name": "pokeapi_get_type",
    "description": "Get a type: damage relations (strong/weak against) and Pokémon of that type.",
    "parameters": {"type": "object", "properties": {"name": _POKE_NAME}, "required": ["name"]},
}

POKE_SPECIES = {
    "name": "pokeapi_get_pokemon_species",
    "description": "Get a Pokémon species: flavor text, evolution chain, habitat, capture rate.",
    "parameters": {"type": "object", "properties": {"name": _POKE_NAME}, "required": ["name"]},
}

# --- Hacker News (Firebase API) ----------------------------------------------------------

HN_TOP = {
    "name": "hn_top_stories",
    "description": "Ids of up to 500 current top stories.",
    "parameters": {"type": "object", "properties": {}},
}

HN_ITEM = {
    "name": "hn_get_item",
    "description": "Get an item (story, comment, job, poll) by id.",
    "parameters": {
        "type": "object",
        "properties": {"id": {"type": "integer", "description": "The item's unique id."}},
        "required": ["id"],
    },
}

HN_USER = {
    "name": "hn_get_user",
    "description": "Get a user's profile: karma, about, created, submitted items.",
    "parameters": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "The user's unique username (case-sensitive)."}
        },
        "required": ["id"],
    },
}

# --- Twilio ------------------------------------------------------------------------------

TWILIO_LIST = {
    "name": "twilio_list_messages",
    "description": "List messages sent from or to the account.",
    "parameters": {
        "type": "object",
        "properties": {
            "To": {"type": "string", "description": "Only messages sent to this number (E.164)."},
            "From": {
                "type": "string",
                "description": "Only messages sent from this number (E.164).",
            },
            "DateSent": {
                "type": "string",
                "description": "Only messages sent on this date, YYYY-MM-DD.",
            },
            "PageSize": {
                "type": "integer",
                "default": 50,
                "description": "Results per page (max 1000).",
            },
        },
    },
}

TWILIO_CALL = {
    "name": "twilio_create_call",
    "description": "Start an outbound phone call; Url points at the TwiML instructions.",
    "parameters": {
        "type": "object",
        "properties": {
            "To": {"type": "string", "description": "The number to call (E.164)."},
            "From": {"type": "string", "description": "A Twilio number to call from (E.164)."},
            "Url": {"type": "string", "description": "URL returning TwiML for the call."},
        },
        "required": ["To", "From", "Url"],
    },
}

TWILIO_SEND = {
    "name": "twilio_send_message",
    "description": "Send an SMS/MMS/WhatsApp message.",
    "parameters": {
        "type": "object",
        "properties": {
            "To": {
                "type": "string",
                "description": "Recipient's phone number (E.164, e.g. +14155552671).",
            },
            "From": {
                "type": "string",
                "description": "A Twilio phone number (E.164) to send from.",
            },
            "Body": {
                "type": "string",
                "description": "The text of the message (up to 1600 characters).",
            },
            "MediaUrl": {
                "type": "array",
                "items": {"type": "string"},
                "description": "URLs of media to send (MMS).",
            },
        },
        "required": ["To", "From", "Body"],
    },
}

# --- cases -------------------------------------------------------------------------------

_GH_ISSUES_DOC = "https://docs.github.com/en/rest/issues/issues"

CASES: list[Case] = [
    Case(
        id="choice-github-1",
        category="choice",
        source=_GH_ISSUES_DOC,
        question=(
            'Please file a bug on psf/requests titled "Timeout not respected when stream=True" '
            "and tag it with the bug label."
        ),
        functions=[GH_GET_REPO, GH_LIST_ISSUES, GH_CREATE_ISSUE],
        expected=[
            Call(
                "github_create_issue",
                {
                    "owner": "psf",
                    "repo": "requests",
                    "title": "Timeout not respected when stream=True",
                    "labels": ["bug"],
                },
            )
        ],
    ),
    Case(
        id="choice-github-2",
        category="choice",
        source="https://docs.github.com/en/rest/pulls/pulls",
        question="show me the last 50 closed pull requests in rust-lang/cargo",
        functions=[GH_LIST_PULLS, GH_LIST_ISSUES, GH_GET_REPO],
        expected=[
            Call(
                "github_list_pull_requests",
                {"owner": "rust-lang", "repo": "cargo", "state": "closed", "per_page": 50},
            )
        ],
    ),
    Case(
        id="choice-github-3",
        category="choice",
        source="https://docs.github.com/en/rest/repos/repos",
        question="How many stars and forks does facebook/react have at the moment?",
        functions=[GH_LIST_ISSUES, GH_GET_REPO, GH_SEARCH_REPOS],
        expected=[Call("github_get_repo", {"owner": "facebook", "repo": "react"})],
    ),
    Case(
        id="choice-github-4",
        category="choice",
        source=_GH_ISSUES_DOC,
        question=(
            "I'm triaging regressions for our extension. Can you pull the closed issues in "
            "microsoft/vscode labeled 'regression', sorted by when they were last updated?"
        ),
        functions=[GH_GET_REPO, GH_CREATE_ISSUE, GH_LIST_PULLS, GH_LIST_ISSUES],
        expected=[
            Call(
                "github_list_issues",
                {
                    "owner": "microsoft",
                    "repo": "vscode",
                    "state": "closed",
                    "labels": "regression",
                    "sort": "updated",
                },
            )
        ],
    ),
    Case(
        id="choice-owm-1",
        category="choice",
        source="https://openweathermap.org/api/air-pollution",
        question="What's the air quality right now at 51.5074, -0.1278?",
        functions=[OWM_CURRENT, OWM_FORECAST, OWM_AIR],
        expected=[Call("get_air_pollution", {"lat": 51.5074, "lon": -0.1278})],
    ),
    Case(
        id="choice-owm-2",
        category="choice",
        source="https://openweathermap.org/forecast5",
        question="Is it going to rain in Seattle over the next few days? Temps in Fahrenheit pls",
        functions=[OWM_FORECAST, OWM_CURRENT, OWM_AIR],
        expected=[
            Call(
                "get_5day_forecast",
                {
                    "q": OneOf(
                        ("Seattle", "Seattle,US", "Seattle,WA,US", "Seattle, US", "Seattle, WA, US")
                    ),
                    "units": "imperial",
                },
            )
        ],
    ),
    Case(
        id="choice-owm-3",
        category="choice",
        source="https://openweathermap.org/current",
        question=(
            "quick one: how warm is it in Kraków right now, in celsius? "
            "and give the description in Polish"
        ),
        functions=[OWM_GEOCODE, OWM_CURRENT],
        expected=[
            Call(
                "get_current_weather",
                {
                    "q": OneOf(
                        ("Kraków", "Krakow", "Kraków,PL", "Krakow,PL", "Kraków, PL", "Krakow, PL")
                    ),
                    "units": "metric",
                    "lang": "pl",
                },
            )
        ],
    ),
    Case(
        id="choice-openmeteo-1",
        category="choice",
        source="https://open-meteo.com/en/docs/historical-weather-api",
        question=(
            "What were the daily max and min temperatures in Berlin (52.52, 13.41) "
            "from March 1 to March 7, 2023?"
        ),
        functions=[OM_FORECAST, OM_ARCHIVE, OM_AIR],
        expected=[
            Call(
                "openmeteo_historical_weather",
                {
                    "latitude": 52.52,
                    "longitude": 13.41,
                    "start_date": "2023-03-01",
                    "end_date": "2023-03-07",
                    "daily": OneOf(
                        (
                            ["temperature_2m_max", "temperature_2m_min"],
                            ["temperature_2m_min", "temperature_2m_max"],
                        )
                    ),
                },
            )
        ],
    ),
    Case(
        id="choice-openmeteo-2",
        category="choice",
        source="https://open-meteo.com/en/docs/air-quality-api",
        question="I need hourly PM2.5 and PM10 levels for lat 28.61, lon 77.21 (New Delhi).",
        functions=[OM_AIR, OM_FORECAST],
        expected=[
            Call(
                "openmeteo_air_quality",
                {
                    "latitude": 28.61,
                    "longitude": 77.21,
                    "hourly": OneOf((["pm2_5", "pm10"], ["pm10", "pm2_5"])),
                },
            )
        ],
    ),
    Case(
        id="choice-stripe-1",
        category="choice",
        source="https://docs.stripe.com/api/refunds/create",
        question=(
            "Customer emailed asking for money back: refund $15 of payment "
            "pi_3MtwBwLkdIwHu7ix28a3tqPa, reason is they requested it."
        ),
        functions=[
            STRIPE_CREATE_CUSTOMER,
            STRIPE_LIST_CHARGES,
            STRIPE_BALANCE,
            STRIPE_CREATE_PI,
            STRIPE_CREATE_REFUND,
        ],
        expected=[
            Call(
                "stripe_create_refund",
                {
                    "payment_intent": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
                    "amount": 1500,
                    "reason": "requested_by_customer",
                },
            )
        ],
    ),
    Case(
        id="choice-stripe-2",
        category="choice",
        source="https://docs.stripe.com/api/balance/balance_retrieve",
        question="How much money do we have available in Stripe right now?",
        functions=[STRIPE_BALANCE, STRIPE_LIST_CHARGES, STRIPE_CREATE_REFUND],
        expected=[Call("stripe_retrieve_balance", {})],
    ),
    Case(
        id="choice-stripe-3",
        category="choice",
        source="https://docs.stripe.com/api/customers/create",
        question="Add a new customer: Maria Gonzalez, maria.g@example.com, phone +34 612 345 678.",
        functions=[STRIPE_LIST_CHARGES, STRIPE_CREATE_CUSTOMER, STRIPE_CREATE_PI],
        expected=[
            Call(
                "stripe_create_customer",
                {
                    "name": "Maria Gonzalez",
                    "email": "maria.g@example.com",
                    "phone": OneOf(("+34 612 345 678", "+34612345678")),
                },
            )
        ],
    ),
    Case(
        id="choice-slack-1",
        category="choice",
        source="https://api.slack.com/methods/chat.postMessage",
        question='Post "Deploy finished, all green" in channel C024BE91L.',
        functions=[SLACK_LIST_CONV, SLACK_REACT, SLACK_POST],
        expected=[
            Call(
                "slack_post_message", {"channel": "C024BE91L", "text": "Deploy finished, all green"}
            )
        ],
    ),
    Case(
        id="choice-slack-2",
        category="choice",
        source="https://api.slack.com/methods/reactions.add",
        question=(
            "Put an :eyes: reaction on the message with ts "
            "1712345678.000200 in C0123ABCD so they know I'm on it"
        ),
        functions=[SLACK_POST, SLACK_REACT, SLACK_LOOKUP_EMAIL],
        expected=[
            Call(
                "slack_add_reaction",
                {"channel": "C0123ABCD", "timestamp": "1712345678.000200", "name": "eyes"},
            )
        ],
    ),
    Case(
        id="choice-slack-3",
        category="choice",
        source="https://api.slack.com/methods/users.lookupByEmail",
        question="who is j.doe@acme.io on our slack?",
        functions=[SLACK_LOOKUP_EMAIL, SLACK_POST, SLACK_LIST_CONV],
        expected=[Call("slack_lookup_user_by_email", {"email": "j.doe@acme.io"})],
    ),
    Case(
        id="choice-spotify-1",
        category="choice",
        source="https://developer.spotify.com/documentation/web-api/reference/search",
        question="Find me 5 albums called Blue on Spotify",
        functions=[SPOTIFY_TOP_TRACKS, SPOTIFY_SEARCH, SPOTIFY_CREATE_PLAYLIST],
        expected=[
            Call(
                "spotify_search",
                {"q": OneOf(("Blue", "album:Blue")), "type": ["album"], "limit": 5},
            )
        ],
    ),
    Case(
        id="choice-spotify-2",
        category="choice",
        source="https://developer.spotify.com/documentation/web-api/reference/create-playlist",
        question=(
            "Make me a private playlist called 'Late Night Coding' on my "
            "account (user id smedjan), "
            "description: lofi + synthwave"
        ),
        functions=[SPOTIFY_SEARCH, SPOTIFY_TOP_TRACKS, SPOTIFY_ADD_TRACKS, SPOTIFY_CREATE_PLAYLIST],
        expected=[
            Call(
                "spotify_create_playlist",
                {
                    "user_id": "smedjan",
                    "name": "Late Night Coding",
                    "public": False,
                    "description": "lofi + synthwave",
                },
            )
        ],
    ),
    Case(
        id="choice-spotify-3",
        category="choice",
        source="https://developer.spotify.com/documentation/web-api/reference/get-an-artists-top-tracks",
        question=(
            "What are the top tracks in Germany for the artist with "
            "Spotify id 0TnOYISbd1XYRBk9myaseg?"
        ),
        functions=[SPOTIFY_TOP_TRACKS, SPOTIFY_SEARCH],
        expected=[
            Call("spotify_get_artist_top_tracks", {"id": "0TnOYISbd1XYRBk9myaseg", "market": "DE"})
        ],
    ),
    Case(
        id="choice-frankfurter-1",
        category="choice",
        source="https://frankfurter.dev/",
        question="What was the dollar to yen rate on 16 March 2020? (USD -> JPY)",
        functions=[FX_LATEST, FX_HISTORICAL, FX_SERIES],
        expected=[
            Call("frankfurter_historical", {"date": "2020-03-16", "base": "USD", "symbols": "JPY"})
        ],
    ),
    Case(
        id="choice-frankfurter-2",
        category="choice",
        source="https://frankfurter.dev/",
        question="convert 250 GBP into swiss francs at todays rate",
        functions=[FX_CURRENCIES, FX_SERIES, FX_LATEST],
        expected=[Call("frankfurter_latest", {"amount": 250, "base": "GBP", "symbols": "CHF"})],
    ),
    Case(
        id="choice-restcountries-1",
        category="choice",
        source="https://restcountries.com/",
        question="Which country has Canberra as its capital?",
        functions=[RC_CAPITAL, RC_NAME, RC_REGION],
        expected=[Call("restcountries_by_capital", {"capital": "Canberra"})],
    ),
    Case(
        id="choice-restcountries-2",
        category="choice",
        source="https://restcountries.com/",
        question=(
            "For a payments report I'm writing: which countries use the West African CFA franc "
            "(currency code XOF)?"
        ),
        functions=[RC_NAME, RC_REGION, RC_LANG, RC_CAPITAL, RC_CURRENCY],
        expected=[
            Call(
                "restcountries_by_currency", {"currency": OneOf(("XOF", "West African CFA franc"))}
            )
        ],
    ),
    Case(
        id="choice-tmdb-1",
        category="choice",
        source="https://developer.themoviedb.org/reference/trending-tv",
        question="what tv shows are trending this weeek?",
        functions=[TMDB_SEARCH_MOVIE, TMDB_DETAILS, TMDB_TRENDING],
        expected=[Call("tmdb_trending", {"media_type": "tv", "time_window": "week"})],
    ),
    Case(
        id="choice-tmdb-2",
        category="choice",
        source="https://developer.themoviedb.org/reference/search-movie",
        question="Look up the movie Blade Runner, the original one from 1982, not the sequel.",
        functions=[TMDB_SEARCH_MOVIE, TMDB_SEARCH_TV, TMDB_DETAILS],
        expected=[Call("tmdb_search_movie", {"query": "Blade Runner", "year": 1982})],
    ),
    Case(
        id="choice-tmdb-3",
        category="choice",
        source="https://developer.themoviedb.org/reference/movie-details",
        question=(
            "Get me the details of TMDB movie 550 in French, with its "
            "credits included in the same response."
        ),
        functions=[TMDB_SEARCH_MOVIE, TMDB_DETAILS, TMDB_TRENDING, TMDB_SEARCH_TV],
        expected=[
            Call(
                "tmdb_get_movie_details",
                {
                    "movie_id": 550,
                    "language": OneOf(("fr-FR", "fr")),
                    "append_to_response": "credits",
                },
            )
        ],
    ),
    Case(
        id="choice-openlibrary-1",
        category="choice",
        source="https://openlibrary.org/dev/docs/api/books",
        question="Which book has ISBN 9780140328721?",
        functions=[OL_SEARCH, OL_WORK, OL_ISBN],
        expected=[Call("openlibrary_get_edition_by_isbn", {"isbn": "9780140328721"})],
    ),
    Case(
        id="choice-openlibrary-2",
        category="choice",
        source="https://openlibrary.org/dev/docs/api/authors",
        question="Which authors on Open Library match the name Octavia Butler?",
        functions=[OL_SEARCH, OL_SEARCH_AUTHORS, OL_WORK],
        expected=[
            Call(
                "openlibrary_search_authors", {"q": OneOf(("Octavia Butler", "Octavia E. Butler"))}
            )
        ],
    ),
    Case(
        id="choice-gcal-1",
        category="choice",
        source="https://developers.google.com/calendar/api/v3/reference/events/list",
        question="find anything on my primary calendar that mentions dentist",
        functions=[GCAL_LIST, GCAL_INSERT, GCAL_DELETE],
        expected=[Call("gcal_list_events", {"calendarId": "primary", "q": "dentist"})],
    ),
    Case(
        id="choice-gcal-2",
        category="choice",
        source="https://developers.google.com/calendar/api/v3/reference/events/delete",
        question="Remove event 7kq2m1c9hvd0k3abc from my primary calendar and don't notify anyone.",
        functions=[GCAL_LIST, GCAL_INSERT, GCAL_DELETE],
        expected=[
            Call(
                "gcal_delete_event",
                {"calendarId": "primary", "eventId": "7kq2m1c9hvd0k3abc", "sendUpdates": "none"},
            )
        ],
    ),
    Case(
        id="choice-trello-1",
        category="choice",
        source="https://developer.atlassian.com/cloud/trello/rest/api-group-cards/",
        question="Archive the Trello card 5abbe4b7ddc1b351ef961414, we're done with it.",
        functions=[TRELLO_CREATE_CARD, TRELLO_UPDATE_CARD, TRELLO_COMMENT],
        expected=[Call("trello_update_card", {"id": "5abbe4b7ddc1b351ef961414", "closed": True})],
    ),
    Case(
        id="choice-trello-2",
        category="choice",
        source="https://developer.atlassian.com/cloud/trello/rest/api-group-cards/",
        question="Add a card 'Fix login redirect' to the top of list 5abbe4b7ddc1b351ef961415",
        functions=[TRELLO_CREATE_CARD, TRELLO_GET_LISTS, TRELLO_UPDATE_CARD, TRELLO_COMMENT],
        expected=[
            Call(
                "trello_create_card",
                {"idList": "5abbe4b7ddc1b351ef961415", "name": "Fix login redirect", "pos": "top"},
            )
        ],
    ),
    Case(
        id="choice-jira-1",
        category="choice",
        source="https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-comments/",
        question=(
            "Leave a comment on PROJ-482 saying: Reproduced on staging, "
            "logs attached to the ticket."
        ),
        functions=[JIRA_CREATE, JIRA_SEARCH, JIRA_TRANSITION, JIRA_COMMENT],
        expected=[
            Call(
                "jira_add_comment",
                {
                    "issueIdOrKey": "PROJ-482",
                    "body": OneOf(
                        (
                            "Reproduced on staging, logs attached to the ticket.",
                            "Reproduced on staging, logs attached to the ticket",
                        )
                    ),
                },
            )
        ],
    ),
    Case(
        id="choice-jira-2",
        category="choice",
        source="https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/",
        question='Run this JQL, max 20 results: project = OPS AND status = "In Progress"',
        functions=[JIRA_CREATE, JIRA_SEARCH, JIRA_COMMENT],
        expected=[
            Call(
                "jira_search_issues",
                {
                    "jql": OneOf(
                        (
                            'project = OPS AND status = "In Progress"',
                            "project = OPS AND status = 'In Progress'",
                        )
                    ),
                    "maxResults": 20,
                },
            )
        ],
    ),
    Case(
        id="choice-nasa-1",
        category="choice",
        source="https://api.nasa.gov/",
        question=(
            "Show me the photos Curiosity took on sol 1000 with its front hazard avoidance camera."
        ),
        functions=[NASA_APOD, NASA_NEO_FEED, NASA_MARS],
        expected=[
            Call("nasa_mars_rover_photos", {"rover": "curiosity", "sol": 1000, "camera": "FHAZ"})
        ],
    ),
    Case(
        id="choice-nasa-2",
        category="choice",
        source="https://api.nasa.gov/",
        question="what was nasa's astronomy picture of the day on my birthday, july 4th 1999?",
        functions=[NASA_APOD, NASA_MARS, NASA_NEO_FEED],
        expected=[Call("nasa_apod", {"date": "1999-07-04"})],
    ),
    Case(
        id="choice-coingecko-1",
        category="choice",
        source="https://docs.coingecko.com/reference/simple-price",
        question="price of bitcoin and ethereum in usd and eur, with the 24h change",
        functions=[CG_TRENDING, CG_PRICE, CG_MARKET_CHART],
        expected=[
            Call(
                "coingecko_simple_price",
                {
                    "ids": OneOf(("bitcoin,ethereum", "ethereum,bitcoin", "bitcoin, ethereum")),
                    "vs_currencies": OneOf(("usd,eur", "eur,usd", "usd, eur")),
                    "include_24hr_change": True,
                },
            )
        ],
    ),
    Case(
        id="choice-coingecko-2",
        category="choice",
        source="https://docs.coingecko.com/reference/coins-id-market-chart",
        question=(
            "Give me Solana's price history in USD for the last 30 days, one data point per day."
        ),
        functions=[CG_MARKET_CHART, CG_PRICE, CG_TRENDING],
        expected=[
            Call(
                "coingecko_coin_market_chart",
                {
                    "id": "solana",
                    "vs_currency": "usd",
                    "days": OneOf(("30", 30)),
                    "interval": "daily",
                },
            )
        ],
    ),
    Case(
        id="choice-pokeapi-1",
        category="choice",
        source="https://pokeapi.co/docs/v2",
        question="What does the ability Levitate actually do?",
        functions=[POKE_POKEMON, POKE_ABILITY, POKE_TYPE, POKE_SPECIES],
        expected=[Call("pokeapi_get_ability", {"name": "levitate"})],
    ),
    Case(
        id="choice-hackernews-1",
        category="choice",
        source="https://github.com/HackerNews/API",
        question="pull up the hacker news profile of user dang, how much karma does he have",
        functions=[HN_TOP, HN_ITEM, HN_USER],
        expected=[Call("hn_get_user", {"id": "dang"})],
    ),
    Case(
        id="choice-twilio-1",
        category="choice",
        source="https://www.twilio.com/docs/messaging/api/message-resource",
        question="Text +14155550123 from our number +14155559876: Your order #8812 has shipped!",
        functions=[TWILIO_LIST, TWILIO_CALL, TWILIO_SEND],
        expected=[
            Call(
                "twilio_send_message",
                {
                    "To": "+14155550123",
                    "From": "+14155559876",
                    "Body": "Your order #8812 has shipped!",
                },
            )
        ],
    ),
]
