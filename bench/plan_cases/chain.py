"""chain cases: a later call needs a value from an earlier call's result."""

from __future__ import annotations

from bench.plan_cases import Call, Case, OneOf, Ref

# --- Open-Meteo -------------------------------------------------------------

OM_GEOCODE = {
    "name": "open_meteo_geocode",
    "description": "Search locations by name with the Open-Meteo Geocoding API; "
    "returns matches with latitude, longitude, country and timezone.",
    "parameters": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "Place name or postal code to search for."},
            "count": {
                "type": "integer",
                "description": "Number of results to return.",
                "default": 10,
                "minimum": 1,
                "maximum": 100,
            },
            "language": {
                "type": "string",
                "description": "Language code for the returned names.",
                "default": "en",
            },
            "countryCode": {
                "type": "string",
                "description": "ISO-3166-1 alpha2 country code to restrict results to.",
            },
        },
        "required": ["name"],
    },
}

OM_FORECAST = {
    "name": "open_meteo_forecast",
    "description": "Weather forecast for a coordinate from the Open-Meteo Forecast API "
    "(current conditions, hourly and daily variables).",
    "parameters": {
        "type": "object",
        "properties": {
            "latitude": {"type": "number", "description": "WGS84 latitude of the location."},
            "longitude": {"type": "number", "description": "WGS84 longitude of the location."},
            "current": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Current-condition variables, e.g. temperature_2m, wind_speed_10m.",
            },
            "hourly": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Hourly variables, e.g. temperature_2m, precipitation_probability.",
            },
            "daily": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Daily aggregates, e.g. temperature_2m_max, temperature_2m_min, "
                "precipitation_sum, uv_index_max.",
            },
            "temperature_unit": {
                "type": "string",
                "enum": ["celsius", "fahrenheit"],
                "default": "celsius",
                "description": "Unit for temperatures.",
            },
            "timezone": {
                "type": "string",
                "default": "GMT",
                "description": "Timezone for timestamps, e.g. Europe/Berlin, or 'auto'.",
            },
            "forecast_days": {
                "type": "integer",
                "default": 7,
                "minimum": 0,
                "maximum": 16,
                "description": "Number of forecast days.",
            },
        },
        "required": ["latitude", "longitude"],
    },
}

# --- OpenWeatherMap ---------------------------------------------------------

OWM_GEOCODE = {
    "name": "owm_geocode_direct",
    "description": "OpenWeatherMap direct geocoding: coordinates of a place by name.",
    "parameters": {
        "type": "object",
        "properties": {
            "q": {
                "type": "string",
                "description": "City name, state code (US only) and ISO 3166 country code, "
                "separated by commas.",
            },
            "limit": {
                "type": "integer",
                "maximum": 5,
                "description": "Number of locations in the response (up to 5).",
            },
        },
        "required": ["q"],
    },
}

OWM_CURRENT = {
    "name": "owm_current_weather",
    "description": "OpenWeatherMap current weather data for a coordinate.",
    "parameters": {
        "type": "object",
        "properties": {
            "lat": {"type": "number", "description": "Latitude."},
            "lon": {"type": "number", "description": "Longitude."},
            "units": {
                "type": "string",
                "enum": ["standard", "metric", "imperial"],
                "default": "standard",
                "description": "Units: standard (Kelvin), metric (Celsius), imperial (Fahrenheit).",
            },
            "lang": {"type": "string", "description": "Language code for the description."},
        },
        "required": ["lat", "lon"],
    },
}

OWM_AIR = {
    "name": "owm_air_pollution",
    "description": "OpenWeatherMap current air pollution data (AQI and pollutant "
    "concentrations) for a coordinate.",
    "parameters": {
        "type": "object",
        "properties": {
            "lat": {"type": "number", "description": "Latitude."},
            "lon": {"type": "number", "description": "Longitude."},
        },
        "required": ["lat", "lon"],
    },
}

# --- Google Maps Platform ---------------------------------------------------

GOOGLE_GEOCODE = {
    "name": "google_geocode",
    "description": "Google Geocoding API: convert a street address into coordinates.",
    "parameters": {
        "type": "object",
        "properties": {
            "address": {"type": "string", "description": "The street address to geocode."},
            "components": {
                "type": "string",
                "description": "Component filter, e.g. country:US|postal_code:95014.",
            },
            "region": {"type": "string", "description": "ccTLD region code to bias results."},
            "language": {"type": "string", "description": "Language of the results."},
        },
        "required": ["address"],
    },
}

GOOGLE_FIND_PLACE = {
    "name": "google_find_place",
    "description": "Google Places Find Place: find a place from a text query or phone number.",
    "parameters": {
        "type": "object",
        "properties": {
            "input": {"type": "string", "description": "Text or phone number to search for."},
            "inputtype": {
                "type": "string",
                "enum": ["textquery", "phonenumber"],
                "description": "Type of the input.",
            },
            "fields": {
                "type": "string",
                "description": "Comma-separated place fields to return, e.g. place_id,name.",
            },
            "locationbias": {
                "type": "string",
                "description": "Bias, e.g. circle:2000@47.6918,-122.2226 or ipbias.",
            },
            "language": {"type": "string", "description": "Language of the results."},
        },
        "required": ["input", "inputtype"],
    },
}

GOOGLE_PLACE_DETAILS = {
    "name": "google_place_details",
    "description": "Google Places Place Details: full details (address, phone, hours, "
    "reviews) of a place by its place_id.",
    "parameters": {
        "type": "object",
        "properties": {
            "place_id": {"type": "string", "description": "Textual identifier of the place."},
            "fields": {"type": "string", "description": "Comma-separated fields to return."},
            "language": {"type": "string", "description": "Language of the results."},
            "reviews_sort": {
                "type": "string",
                "enum": ["most_relevant", "newest"],
                "default": "most_relevant",
                "description": "Sort order of the returned reviews.",
            },
        },
        "required": ["place_id"],
    },
}

# --- Yelp Fusion ------------------------------------------------------------

YELP_SEARCH = {
    "name": "yelp_search_businesses",
    "description": "Yelp Fusion business search by term and location.",
    "parameters": {
        "type": "object",
        "properties": {
            "term": {
                "type": "string",
                "description": "Search term, e.g. 'food' or a business name.",
            },
            "location": {"type": "string", "description": "Address, neighborhood or city."},
            "latitude": {"type": "number", "description": "Latitude of the search center."},
            "longitude": {"type": "number", "description": "Longitude of the search center."},
            "radius": {
                "type": "integer",
                "maximum": 40000,
                "description": "Search radius in meters (max 40000).",
            },
            "open_now": {"type": "boolean", "description": "Only businesses open now."},
            "sort_by": {
                "type": "string",
                "enum": ["best_match", "rating", "review_count", "distance"],
                "default": "best_match",
                "description": "Sort order of results.",
            },
            "limit": {
                "type": "integer",
                "default": 20,
                "maximum": 50,
                "description": "Number of businesses to return.",
            },
        },
        "required": [],
    },
}

YELP_REVIEWS = {
    "name": "yelp_business_reviews",
    "description": "Yelp Fusion: review excerpts for a business.",
    "parameters": {
        "type": "object",
        "properties": {
            "business_id_or_alias": {"type": "string", "description": "Yelp business id or alias."},
            "locale": {"type": "string", "description": "Locale, e.g. en_US."},
            "limit": {"type": "integer", "maximum": 50, "description": "Number of reviews."},
            "sort_by": {
                "type": "string",
                "enum": ["yelp_sort", "newest"],
                "default": "yelp_sort",
                "description": "Sort order of reviews.",
            },
        },
        "required": ["business_id_or_alias"],
    },
}

# --- Mapbox -------------------------------------------------------------------

MAPBOX_GEOCODE = {
    "name": "mapbox_forward_geocode",
    "description": "Mapbox Geocoding v6 forward search: coordinates for a place name or "
    "address (geometry.coordinates is [longitude, latitude]).",
    "parameters": {
        "type": "object",
        "properties": {
            "q": {"type": "string", "description": "The place name or address to search."},
            "country": {
                "type": "string",
                "description": "ISO 3166 alpha 2 country codes, comma-separated.",
            },
            "limit": {
                "type": "integer",
                "default": 5,
                "maximum": 10,
                "description": "Max results.",
            },
            "language": {"type": "string", "description": "IETF language tag for results."},
            "types": {
                "type": "string",
                "description": "Comma-separated feature types, e.g. place,address,poi.",
            },
        },
        "required": ["q"],
    },
}

# --- REST Countries / Frankfurter ---------------------------------------------

RC_NAME = {
    "name": "restcountries_get_by_name",
    "description": "REST Countries v3.1: countries matching a (common or official) name, "
    "including capital and capitalInfo.latlng.",
    "parameters": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "Country name, full or partial."},
            "fullText": {
                "type": "boolean",
                "default": False,
                "description": "Match the full name exactly.",
            },
            "fields": {"type": "string", "description": "Comma-separated fields to return."},
        },
        "required": ["name"],
    },
}

RC_V2_NAME = {
    "name": "restcountries_v2_get_by_name",
    "description": "REST Countries v2: countries matching a name, with currencies as a list "
    "of {code, name, symbol}.",
    "parameters": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "Country name, full or partial."},
            "fullText": {
                "type": "boolean",
                "default": False,
                "description": "Match the full name exactly.",
            },
            "fields": {"type": "string", "description": "Comma-separated fields to return."},
        },
        "required": ["name"],
    },
}

FRANKFURTER_LATEST = {
    "name": "frankfurter_latest",
    "description": "Frankfurter: latest ECB reference exchange rates.",
    "parameters": {
        "type": "object",
        "properties": {
            "base": {
                "type": "string",
                "default": "EUR",
                "description": "Three-letter code of the base currency.",
            },
            "symbols": {
                "type": "string",
                "description": "Comma-separated currency codes to return rates for.",
            },
            "amount": {
                "type": "number",
                "default": 1,
                "description": "Amount of the base currency to convert.",
            },
        },
        "required": [],
    },
}

# --- GitHub REST ----------------------------------------------------------------

_OWNER = {"type": "string", "description": "The account owner of the repository."}
_REPO = {"type": "string", "description": "The name of the repository without the .git extension."}

GH_GET_REPO = {
    "name": "github_get_repo",
    "description": "GitHub: get a repository's metadata.",
    "parameters": {
        "type": "object",
        "properties": {"owner": _OWNER, "repo": _REPO},
        "required": ["owner", "repo"],
    },
}

GH_LATEST_RELEASE = {
    "name": "github_get_latest_release",
    "description": "GitHub: the latest published full release of a repository.",
    "parameters": {
        "type": "object",
        "properties": {"owner": _OWNER, "repo": _REPO},
        "required": ["owner", "repo"],
    },
}

GH_RELEASE_ASSETS = {
    "name": "github_list_release_assets",
    "description": "GitHub: list the assets (uploaded files) of a release.",
    "parameters": {
        "type": "object",
        "properties": {
            "owner": _OWNER,
            "repo": _REPO,
            "release_id": {
                "type": "integer",
                "description": "The unique identifier of the release.",
            },
            "per_page": {
                "type": "integer",
                "default": 30,
                "maximum": 100,
                "description": "Results per page.",
            },
            "page": {"type": "integer", "default": 1, "description": "Page number."},
        },
        "required": ["owner", "repo", "release_id"],
    },
}

GH_LIST_ISSUES = {
    "name": "github_list_issues",
    "description": "GitHub: list issues in a repository.",
    "parameters": {
        "type": "object",
        "properties": {
            "owner": _OWNER,
            "repo": _REPO,
            "state": {
                "type": "string",
                "enum": ["open", "closed", "all"],
                "default": "open",
                "description": "State of the issues to return.",
            },
            "labels": {"type": "string", "description": "Comma-separated list of label names."},
            "assignee": {"type": "string", "description": "Login of the assignee, 'none' or '*'."},
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
                "description": "Sort direction.",
            },
            "per_page": {
                "type": "integer",
                "default": 30,
                "maximum": 100,
                "description": "Results per page.",
            },
        },
        "required": ["owner", "repo"],
    },
}

GH_CREATE_COMMENT = {
    "name": "github_create_issue_comment",
    "description": "GitHub: create a comment on an issue or pull request.",
    "parameters": {
        "type": "object",
        "properties": {
            "owner": _OWNER,
            "repo": _REPO,
            "issue_number": {
                "type": "integer",
                "description": "The number that identifies the issue.",
            },
            "body": {"type": "string", "description": "The contents of the comment."},
        },
        "required": ["owner", "repo", "issue_number", "body"],
    },
}

GH_LIST_PULLS = {
    "name": "github_list_pull_requests",
    "description": "GitHub: list pull requests in a repository.",
    "parameters": {
        "type": "object",
        "properties": {
            "owner": _OWNER,
            "repo": _REPO,
            "state": {
                "type": "string",
                "enum": ["open", "closed", "all"],
                "default": "open",
                "description": "State of the pull requests.",
            },
            "head": {
                "type": "string",
                "description": "Filter by head user/org and branch, user:ref-name.",
            },
            "base": {"type": "string", "description": "Filter by base branch name."},
            "sort": {
                "type": "string",
                "enum": ["created", "updated", "popularity", "long-running"],
                "default": "created",
                "description": "What to sort results by.",
            },
            "direction": {
                "type": "string",
                "enum": ["asc", "desc"],
                "description": "Sort direction (desc by default when sort is created).",
            },
            "per_page": {
                "type": "integer",
                "default": 30,
                "maximum": 100,
                "description": "Results per page.",
            },
        },
        "required": ["owner", "repo"],
    },
}

GH_PR_FILES = {
    "name": "github_list_pull_request_files",
    "description": "GitHub: list the files changed in a pull request.",
    "parameters": {
        "type": "object",
        "properties": {
            "owner": _OWNER,
            "repo": _REPO,
            "pull_number": {
                "type": "integer",
                "description": "The number that identifies the pull request.",
            },
            "per_page": {
                "type": "integer",
                "default": 30,
                "maximum": 100,
                "description": "Results per page.",
            },
        },
        "required": ["owner", "repo", "pull_number"],
    },
}

# --- Spotify Web API ----------------------------------------------------------

SP_SEARCH = {
    "name": "spotify_search",
    "description": "Spotify: search the catalog for albums, artists, playlists, tracks, "
    "shows, episodes or audiobooks.",
    "parameters": {
        "type": "object",
        "properties": {
            "q": {
                "type": "string",
                "description": "Search query, may use filters like artist: or year:.",
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
            "market": {"type": "string", "description": "ISO 3166-1 alpha-2 country code."},
            "limit": {
                "type": "integer",
                "default": 20,
                "minimum": 0,
                "maximum": 50,
                "description": "Maximum results per type.",
            },
            "offset": {
                "type": "integer",
                "default": 0,
                "description": "Index of the first result.",
            },
        },
        "required": ["q", "type"],
    },
}

SP_TOP_TRACKS = {
    "name": "spotify_get_artist_top_tracks",
    "description": "Spotify: an artist's top tracks by country.",
    "parameters": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "The Spotify ID of the artist."},
            "market": {"type": "string", "description": "ISO 3166-1 alpha-2 country code."},
        },
        "required": ["id"],
    },
}

SP_ME = {
    "name": "spotify_get_current_user_profile",
    "description": "Spotify: profile of the current user (id, display name, country).",
    "parameters": {"type": "object", "properties": {}, "required": []},
}

SP_CREATE_PLAYLIST = {
    "name": "spotify_create_playlist",
    "description": "Spotify: create an (empty) playlist for a user.",
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
                "description": "Whether other users can modify the playlist.",
            },
            "description": {"type": "string", "description": "Playlist description."},
        },
        "required": ["user_id", "name"],
    },
}

SP_ADD_ITEMS = {
    "name": "spotify_add_items_to_playlist",
    "description": "Spotify: add tracks or episodes to a playlist.",
    "parameters": {
        "type": "object",
        "properties": {
            "playlist_id": {"type": "string", "description": "The Spotify ID of the playlist."},
            "uris": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Spotify URIs to add, e.g. spotify:track:4iV5W9uYEdYUVa79Axb7Rh.",
            },
            "position": {"type": "integer", "description": "Zero-based position to insert at."},
        },
        "required": ["playlist_id", "uris"],
    },
}

# --- TMDB -----------------------------------------------------------------------

TMDB_SEARCH_MOVIE = {
    "name": "tmdb_search_movie",
    "description": "TMDB: search for movies by their original, translated and alternative titles.",
    "parameters": {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "Text to search for."},
            "year": {"type": "string", "description": "Release year to filter by."},
            "language": {"type": "string", "default": "en-US", "description": "Response language."},
            "include_adult": {
                "type": "boolean",
                "default": False,
                "description": "Include adult titles.",
            },
            "page": {"type": "integer", "default": 1, "description": "Results page."},
        },
        "required": ["query"],
    },
}

TMDB_MOVIE_CREDITS = {
    "name": "tmdb_get_movie_credits",
    "description": "TMDB: cast and crew of a movie.",
    "parameters": {
        "type": "object",
        "properties": {
            "movie_id": {"type": "integer", "description": "TMDB movie id."},
            "language": {"type": "string", "default": "en-US", "description": "Response language."},
        },
        "required": ["movie_id"],
    },
}

TMDB_SEARCH_PERSON = {
    "name": "tmdb_search_person",
    "description": "TMDB: search for people by name.",
    "parameters": {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "Name to search for."},
            "include_adult": {
                "type": "boolean",
                "default": False,
                "description": "Include adult profiles.",
            },
            "language": {"type": "string", "default": "en-US", "description": "Response language."},
            "page": {"type": "integer", "default": 1, "description": "Results page."},
        },
        "required": ["query"],
    },
}

TMDB_PERSON_MOVIES = {
    "name": "tmdb_get_person_movie_credits",
    "description": "TMDB: the movies a person has acted in (cast) or worked on (crew).",
    "parameters": {
        "type": "object",
        "properties": {
            "person_id": {"type": "integer", "description": "TMDB person id."},
            "language": {"type": "string", "default": "en-US", "description": "Response language."},
        },
        "required": ["person_id"],
    },
}

# --- Open Library -----------------------------------------------------------------

OL_SEARCH_AUTHORS = {
    "name": "openlibrary_search_authors",
    "description": "Open Library: search authors by name; each result has its key (e.g. OL23919A).",
    "parameters": {
        "type": "object",
        "properties": {"q": {"type": "string", "description": "Author name to search for."}},
        "required": ["q"],
    },
}

OL_AUTHOR_WORKS = {
    "name": "openlibrary_get_author_works",
    "description": "Open Library: the works of an author.",
    "parameters": {
        "type": "object",
        "properties": {
            "author_id": {
                "type": "string",
                "description": "Open Library author id, e.g. OL23919A.",
            },
            "limit": {
                "type": "integer",
                "default": 50,
                "description": "Number of works to return.",
            },
            "offset": {"type": "integer", "default": 0, "description": "Number of works to skip."},
        },
        "required": ["author_id"],
    },
}

# --- Slack Web API ----------------------------------------------------------------

SLACK_LOOKUP_EMAIL = {
    "name": "slack_users_lookup_by_email",
    "description": "Slack users.lookupByEmail: find a workspace user by email address.",
    "parameters": {
        "type": "object",
        "properties": {
            "email": {"type": "string", "description": "An email address in the workspace."}
        },
        "required": ["email"],
    },
}

SLACK_CONV_OPEN = {
    "name": "slack_conversations_open",
    "description": "Slack conversations.open: open or resume a direct message or multi-person DM.",
    "parameters": {
        "type": "object",
        "properties": {
            "users": {
                "type": "string",
                "description": "Comma-separated list of user ids (1 to 8).",
            },
            "return_im": {
                "type": "boolean",
                "description": "Return the full IM channel definition.",
            },
        },
        "required": ["users"],
    },
}

SLACK_POST = {
    "name": "slack_chat_post_message",
    "description": "Slack chat.postMessage: send a message to a channel.",
    "parameters": {
        "type": "object",
        "properties": {
            "channel": {
                "type": "string",
                "description": "Channel, private group or IM channel id.",
            },
            "text": {"type": "string", "description": "The message text."},
            "thread_ts": {
                "type": "string",
                "description": "Parent message ts to reply in a thread.",
            },
            "mrkdwn": {
                "type": "boolean",
                "default": True,
                "description": "Enable Slack markup parsing.",
            },
            "unfurl_links": {"type": "boolean", "description": "Unfurl text-based content."},
        },
        "required": ["channel"],
    },
}

SLACK_CONV_LIST = {
    "name": "slack_conversations_list",
    "description": "Slack conversations.list: list channels in the workspace (id and name).",
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
                "description": "Skip archived channels.",
            },
            "limit": {
                "type": "integer",
                "default": 100,
                "maximum": 1000,
                "description": "Max items returned.",
            },
        },
        "required": [],
    },
}

SLACK_HISTORY = {
    "name": "slack_conversations_history",
    "description": "Slack conversations.history: messages of a conversation, newest first.",
    "parameters": {
        "type": "object",
        "properties": {
            "channel": {"type": "string", "description": "Conversation id."},
            "limit": {
                "type": "integer",
                "default": 100,
                "maximum": 999,
                "description": "Max messages.",
            },
            "oldest": {"type": "string", "description": "Only messages after this Unix timestamp."},
            "latest": {
                "type": "string",
                "description": "Only messages before this Unix timestamp.",
            },
            "inclusive": {
                "type": "boolean",
                "default": False,
                "description": "Include oldest/latest.",
            },
        },
        "required": ["channel"],
    },
}

SLACK_PRESENCE = {
    "name": "slack_users_get_presence",
    "description": "Slack users.getPresence: whether a user is active or away.",
    "parameters": {
        "type": "object",
        "properties": {
            "user": {"type": "string", "description": "User id to get presence info on."}
        },
        "required": ["user"],
    },
}

# --- Stripe ---------------------------------------------------------------------

STRIPE_LIST_CUSTOMERS = {
    "name": "stripe_list_customers",
    "description": "Stripe: list customers, optionally filtered by exact email.",
    "parameters": {
        "type": "object",
        "properties": {
            "email": {"type": "string", "description": "Case-sensitive email filter."},
            "limit": {
                "type": "integer",
                "default": 10,
                "minimum": 1,
                "maximum": 100,
                "description": "Number of objects to return.",
            },
            "starting_after": {
                "type": "string",
                "description": "Cursor for pagination (an object id).",
            },
        },
        "required": [],
    },
}

STRIPE_LIST_CHARGES = {
    "name": "stripe_list_charges",
    "description": "Stripe: list charges, newest first.",
    "parameters": {
        "type": "object",
        "properties": {
            "customer": {"type": "string", "description": "Only charges of this customer id."},
            "payment_intent": {
                "type": "string",
                "description": "Only charges of this PaymentIntent.",
            },
            "limit": {
                "type": "integer",
                "default": 10,
                "minimum": 1,
                "maximum": 100,
                "description": "Number of objects to return.",
            },
            "starting_after": {"type": "string", "description": "Cursor for pagination."},
        },
        "required": [],
    },
}

STRIPE_CREATE_INVOICE = {
    "name": "stripe_create_invoice",
    "description": "Stripe: create a draft invoice for a customer.",
    "parameters": {
        "type": "object",
        "properties": {
            "customer": {"type": "string", "description": "The id of the customer to bill."},
            "collection_method": {
                "type": "string",
                "enum": ["charge_automatically", "send_invoice"],
                "default": "charge_automatically",
                "description": "Charge the payment method on file, or email the invoice.",
            },
            "days_until_due": {
                "type": "integer",
                "description": "Days until due; only with collection_method send_invoice.",
            },
            "description": {"type": "string", "description": "Memo shown on the invoice."},
            "auto_advance": {
                "type": "boolean",
                "description": "Let Stripe finalize the draft automatically.",
            },
            "currency": {"type": "string", "description": "Three-letter ISO currency code."},
        },
        "required": ["customer"],
    },
}

# --- PokeAPI / Hacker News / SpaceX ---------------------------------------------

POKE_POKEMON = {
    "name": "pokeapi_get_pokemon",
    "description": "PokeAPI: a Pokémon's data (abilities, types, stats) by name or id.",
    "parameters": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "Pokémon name (lowercase) or id."}
        },
        "required": ["name"],
    },
}

POKE_ABILITY = {
    "name": "pokeapi_get_ability",
    "description": "PokeAPI: an ability's effect text and the Pokémon that have it.",
    "parameters": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "Ability name (lowercase, hyphenated) or id."}
        },
        "required": ["name"],
    },
}

HN_TOP = {
    "name": "hackernews_top_stories",
    "description": "Hacker News: ids of up to 500 current top stories, ranked.",
    "parameters": {"type": "object", "properties": {}, "required": []},
}

HN_ITEM = {
    "name": "hackernews_get_item",
    "description": "Hacker News: a story, comment, job or poll by id.",
    "parameters": {
        "type": "object",
        "properties": {"id": {"type": "integer", "description": "The item's unique id."}},
        "required": ["id"],
    },
}

HN_USER = {
    "name": "hackernews_get_user",
    "description": "Hacker News: a user's profile (karma, about, submitted items).",
    "parameters": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "The user's case-sensitive username."}
        },
        "required": ["id"],
    },
}

SPACEX_LATEST = {
    "name": "spacex_get_latest_launch",
    "description": "SpaceX API v4: the latest launch (ids of its rocket, launchpad, payloads).",
    "parameters": {"type": "object", "properties": {}, "required": []},
}

SPACEX_LAUNCHPAD = {
    "name": "spacex_get_launchpad",
    "description": "SpaceX API v4: a launchpad by id (name, locality, region, coordinates).",
    "parameters": {
        "type": "object",
        "properties": {"id": {"type": "string", "description": "Launchpad id."}},
        "required": ["id"],
    },
}

SPACEX_ROCKET = {
    "name": "spacex_get_rocket",
    "description": "SpaceX API v4: a rocket by id.",
    "parameters": {
        "type": "object",
        "properties": {"id": {"type": "string", "description": "Rocket id."}},
        "required": ["id"],
    },
}

# --- CoinGecko / Alpha Vantage ------------------------------------------------------

CG_SEARCH = {
    "name": "coingecko_search",
    "description": "CoinGecko: search coins, categories and exchanges by name or symbol.",
    "parameters": {
        "type": "object",
        "properties": {"query": {"type": "string", "description": "Search query."}},
        "required": ["query"],
    },
}

CG_PRICE = {
    "name": "coingecko_simple_price",
    "description": "CoinGecko: current price of coins by their API ids.",
    "parameters": {
        "type": "object",
        "properties": {
            "ids": {"type": "string", "description": "Comma-separated coin API ids."},
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
                "description": "Include 24h change.",
            },
        },
        "required": ["ids", "vs_currencies"],
    },
}

AV_SEARCH = {
    "name": "alphavantage_symbol_search",
    "description": "Alpha Vantage SYMBOL_SEARCH: best-matching ticker symbols for keywords.",
    "parameters": {
        "type": "object",
        "properties": {
            "keywords": {"type": "string", "description": "Company name or partial symbol."}
        },
        "required": ["keywords"],
    },
}

AV_QUOTE = {
    "name": "alphavantage_global_quote",
    "description": "Alpha Vantage GLOBAL_QUOTE: latest price and volume of a ticker.",
    "parameters": {
        "type": "object",
        "properties": {
            "symbol": {"type": "string", "description": "The ticker symbol, e.g. IBM."},
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

# --- Trello / Jira / Notion --------------------------------

TRELLO_BOARD_LISTS = {
    "name": "trello_get_board_lists",
    "description": "Trello: the lists on a board.",
    "parameters": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "The id of the board."},
            "filter": {
                "type": "string",
                "enum": ["all", "closed", "none", "open"],
                "default": "open",
                "description": "Which lists to return.",
            },
            "cards": {
                "type": "string",
                "enum": ["all", "closed", "none", "open"],
                "default": "none",
                "description": "Which cards to include with each list.",
            },
        },
        "required": ["id"],
    },
}

TRELLO_CREATE_CARD = {
    "name": "trello_create_card",
    "description": "Trello: create a new card in a list.",
    "parameters": {
        "type": "object",
        "properties": {
            "idList": {"type": "string", "description": "The id of the list the card goes in."},
            "name": {"type": "string", "description": "The name of the card."},
            "desc": {"type": "string", "description": "The description of the card."},
            "due": {"type": "string", "description": "Due date (ISO 8601)."},
            "pos": {
                "type": "string",
                "description": "Position: top, bottom, or a positive number.",
            },
            "idMembers": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Member ids to add to the card.",
            },
        },
        "required": ["idList"],
    },
}

JIRA_FIND_USERS = {
    "name": "jira_find_users",
    "description": "Jira Cloud: find users whose display name or email matches a query.",
    "parameters": {
        "type": "object",
        "properties": {
            "query": {
                "type": "string",
                "description": "Matched against displayName and emailAddress.",
            },
            "maxResults": {
                "type": "integer",
                "default": 50,
                "description": "Maximum users to return.",
            },
        },
        "required": ["query"],
    },
}

JIRA_ASSIGN = {
    "name": "jira_assign_issue",
    "description": "Jira Cloud: assign an issue to a user.",
    "parameters": {
        "type": "object",
        "properties": {
            "issueIdOrKey": {
                "type": "string",
                "description": "The id or key of the issue, e.g. PROJ-12.",
            },
            "accountId": {"type": "string", "description": "The account id of the assignee."},
        },
        "required": ["issueIdOrKey", "accountId"],
    },
}

NOTION_SEARCH = {
    "name": "notion_search",
    "description": "Notion: search pages and databases shared with the integration by title.",
    "parameters": {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "Text to match against titles."},
            "filter": {
                "type": "object",
                "properties": {
                    "property": {"type": "string", "enum": ["object"]},
                    "value": {"type": "string", "enum": ["page", "database"]},
                },
                "description": "Limit results to pages or to databases.",
            },
            "page_size": {
                "type": "integer",
                "default": 100,
                "maximum": 100,
                "description": "Results per page.",
            },
        },
        "required": [],
    },
}

NOTION_QUERY_DB = {
    "name": "notion_query_database",
    "description": "Notion: query the pages (rows) of a database.",
    "parameters": {
        "type": "object",
        "properties": {
            "database_id": {"type": "string", "description": "The id of the database."},
            "page_size": {
                "type": "integer",
                "default": 100,
                "maximum": 100,
                "description": "Results per page.",
            },
            "start_cursor": {"type": "string", "description": "Cursor from a previous response."},
        },
        "required": ["database_id"],
    },
}

# --- YouTube / Wikipedia ----------------------------------------------------------------

YT_SEARCH = {
    "name": "youtube_search",
    "description": "YouTube Data API search.list: videos, channels or playlists matching a query.",
    "parameters": {
        "type": "object",
        "properties": {
            "part": {"type": "string", "enum": ["snippet"], "description": "Must be 'snippet'."},
            "q": {"type": "string", "description": "The query term."},
            "type": {
                "type": "string",
                "enum": ["channel", "playlist", "video"],
                "description": "Restrict to one resource type.",
            },
            "channelId": {
                "type": "string",
                "description": "Only resources created by this channel.",
            },
            "order": {
                "type": "string",
                "enum": ["date", "rating", "relevance", "title", "videoCount", "viewCount"],
                "default": "relevance",
                "description": "Order of results.",
            },
            "maxResults": {
                "type": "integer",
                "default": 5,
                "minimum": 0,
                "maximum": 50,
                "description": "Maximum items returned.",
            },
            "publishedAfter": {"type": "string", "description": "RFC 3339 date-time lower bound."},
        },
        "required": ["part"],
    },
}

WIKI_SEARCH_TITLES = {
    "name": "wikipedia_search_titles",
    "description": "Wikipedia REST: pages whose titles match or start with the query "
    "(returns key, title, description).",
    "parameters": {
        "type": "object",
        "properties": {
            "q": {"type": "string", "description": "Search terms."},
            "limit": {
                "type": "integer",
                "default": 10,
                "minimum": 1,
                "maximum": 100,
                "description": "Maximum pages to return.",
            },
        },
        "required": ["q"],
    },
}

WIKI_SUMMARY = {
    "name": "wikipedia_page_summary",
    "description": "Wikipedia REST: the lead summary of a page by its title.",
    "parameters": {
        "type": "object",
        "properties": {
            "title": {"type": "string", "description": "Page title (underscores for spaces)."}
        },
        "required": ["title"],
    },
}

# --- Dropbox / Zoom / Twilio / Shopify / Discord / Google Drive / NASA --------------

DBX_SEARCH = {
    "name": "dropbox_search",
    "description": "Dropbox files/search_v2: find files and folders by name or content.",
    "parameters": {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "The string to search for."},
            "path": {"type": "string", "description": "Scope the search to this folder path."},
            "max_results": {
                "type": "integer",
                "default": 100,
                "maximum": 1000,
                "description": "Maximum number of results.",
            },
            "file_status": {
                "type": "string",
                "enum": ["active", "deleted"],
                "default": "active",
                "description": "Search active or deleted files.",
            },
            "filename_only": {
                "type": "boolean",
                "default": False,
                "description": "Match file names only.",
            },
        },
        "required": ["query"],
    },
}

DBX_SHARE = {
    "name": "dropbox_create_shared_link",
    "description": "Dropbox sharing/create_shared_link_with_settings: "
    "a shared link for a file or folder.",
    "parameters": {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "The path of the file or folder to share."},
            "requested_visibility": {
                "type": "string",
                "enum": ["public", "team_only", "password"],
                "description": "Who can see the link.",
            },
            "link_password": {
                "type": "string",
                "description": "Password when visibility is password.",
            },
            "expires": {"type": "string", "description": "Expiry time, ISO 8601 UTC."},
        },
        "required": ["path"],
    },
}

ZOOM_LIST_MEETINGS = {
    "name": "zoom_list_meetings",
    "description": "Zoom: list a user's meetings.",
    "parameters": {
        "type": "object",
        "properties": {
            "userId": {
                "type": "string",
                "description": "User id or email, or 'me' for the current user.",
            },
            "type": {
                "type": "string",
                "enum": ["scheduled", "live", "upcoming", "upcoming_meetings", "previous_meetings"],
                "default": "scheduled",
                "description": "Which meetings to list.",
            },
            "page_size": {
                "type": "integer",
                "default": 30,
                "maximum": 300,
                "description": "Records per page.",
            },
        },
        "required": ["userId"],
    },
}

ZOOM_DELETE_MEETING = {
    "name": "zoom_delete_meeting",
    "description": "Zoom: delete (cancel) a meeting.",
    "parameters": {
        "type": "object",
        "properties": {
            "meetingId": {"type": "integer", "description": "The meeting's id."},
            "occurrence_id": {"type": "string", "description": "Delete only this occurrence."},
            "schedule_for_reminder": {
                "type": "boolean",
                "description": "Email the host and alternative hosts about the cancellation.",
            },
            "cancel_meeting_reminder": {
                "type": "boolean",
                "description": "Email the registrants about the cancellation.",
            },
        },
        "required": ["meetingId"],
    },
}

TWILIO_LOOKUP = {
    "name": "twilio_lookup_phone_number",
    "description": "Twilio Lookup v2: validate a phone number and get it in E.164 format.",
    "parameters": {
        "type": "object",
        "properties": {
            "PhoneNumber": {
                "type": "string",
                "description": "The number, in E.164 or national format.",
            },
            "CountryCode": {
                "type": "string",
                "description": "ISO country code for national-format numbers.",
            },
            "Fields": {
                "type": "string",
                "description": "Extra data packages, e.g. line_type_intelligence.",
            },
        },
        "required": ["PhoneNumber"],
    },
}

TWILIO_SEND = {
    "name": "twilio_send_message",
    "description": "Twilio Messaging: send an SMS.",
    "parameters": {
        "type": "object",
        "properties": {
            "To": {"type": "string", "description": "Recipient phone number in E.164 format."},
            "From": {"type": "string", "description": "A Twilio phone number in E.164 format."},
            "Body": {"type": "string", "description": "The text of the message."},
        },
        "required": ["To", "From", "Body"],
    },
}

SHOPIFY_SEARCH_CUSTOMERS = {
    "name": "shopify_search_customers",
    "description": "Shopify Admin REST: search customers "
    "with a query such as email:bob@example.com.",
    "parameters": {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "Search text, may use field:value filters."},
            "limit": {
                "type": "integer",
                "default": 50,
                "maximum": 250,
                "description": "Max results.",
            },
            "fields": {"type": "string", "description": "Comma-separated fields to return."},
        },
        "required": ["query"],
    },
}

SHOPIFY_CUSTOMER_ORDERS = {
    "name": "shopify_get_customer_orders",
    "description": "Shopify Admin REST: the orders of a customer.",
    "parameters": {
        "type": "object",
        "properties": {
            "customer_id": {"type": "integer", "description": "The customer's id."},
            "status": {
                "type": "string",
                "enum": ["open", "closed", "cancelled", "any"],
                "default": "open",
                "description": "Filter orders by status.",
            },
        },
        "required": ["customer_id"],
    },
}

DISCORD_GUILD_CHANNELS = {
    "name": "discord_get_guild_channels",
    "description": "Discord: the channels of a guild (server).",
    "parameters": {
        "type": "object",
        "properties": {"guild_id": {"type": "string", "description": "The guild's snowflake id."}},
        "required": ["guild_id"],
    },
}

DISCORD_CREATE_MESSAGE = {
    "name": "discord_create_message",
    "description": "Discord: post a message to a channel.",
    "parameters": {
        "type": "object",
        "properties": {
            "channel_id": {"type": "string", "description": "The channel's snowflake id."},
            "content": {
                "type": "string",
                "description": "Message contents (up to 2000 characters).",
            },
            "tts": {"type": "boolean", "default": False, "description": "Send as text-to-speech."},
        },
        "required": ["channel_id"],
    },
}

GDRIVE_LIST = {
    "name": "google_drive_files_list",
    "description": "Google Drive files.list: search the user's files with a query.",
    "parameters": {
        "type": "object",
        "properties": {
            "q": {
                "type": "string",
                "description": "Search query, e.g. name = 'Report' and trashed = false.",
            },
            "pageSize": {
                "type": "integer",
                "default": 100,
                "maximum": 1000,
                "description": "Max files.",
            },
            "orderBy": {"type": "string", "description": "Sort keys, e.g. modifiedTime desc."},
            "fields": {"type": "string", "description": "Partial response field selector."},
            "spaces": {
                "type": "string",
                "default": "drive",
                "description": "drive or appDataFolder.",
            },
        },
        "required": [],
    },
}

GDRIVE_PERMISSION = {
    "name": "google_drive_create_permission",
    "description": "Google Drive permissions.create: "
    "share a file with a user, group, domain or anyone.",
    "parameters": {
        "type": "object",
        "properties": {
            "fileId": {"type": "string", "description": "The id of the file."},
            "role": {
                "type": "string",
                "enum": ["owner", "organizer", "fileOrganizer", "writer", "commenter", "reader"],
                "description": "The role granted.",
            },
            "type": {
                "type": "string",
                "enum": ["user", "group", "domain", "anyone"],
                "description": "The type of grantee.",
            },
            "emailAddress": {"type": "string", "description": "Email of the user or group."},
            "sendNotificationEmail": {"type": "boolean", "description": "Email the grantee."},
            "emailMessage": {
                "type": "string",
                "description": "Text to include in the notification.",
            },
        },
        "required": ["fileId", "role", "type"],
    },
}

NASA_NEO_FEED = {
    "name": "nasa_neo_feed",
    "description": "NASA NeoWs feed: asteroids by closest-approach date, grouped by date "
    "(at most 7 days).",
    "parameters": {
        "type": "object",
        "properties": {
            "start_date": {"type": "string", "description": "Start date, YYYY-MM-DD."},
            "end_date": {
                "type": "string",
                "description": "End date, YYYY-MM-DD (default: 7 days after start_date).",
            },
        },
        "required": ["start_date"],
    },
}

NASA_NEO_LOOKUP = {
    "name": "nasa_neo_lookup",
    "description": "NASA NeoWs lookup: full data (orbit, approaches, size) of one asteroid.",
    "parameters": {
        "type": "object",
        "properties": {"asteroid_id": {"type": "string", "description": "The asteroid's SPK-ID."}},
        "required": ["asteroid_id"],
    },
}

CASES: list[Case] = [
    # ---- weather and places ----
    Case(
        id="chain-openmeteo-1",
        category="chain",
        source="https://open-meteo.com/en/docs",
        question="What are the daily highs and lows in Tromsø for the next 3 days?",
        functions=[OM_GEOCODE, OM_FORECAST],
        expected=[
            Call(
                "open_meteo_geocode",
                {"name": OneOf(("Tromsø", "Tromso"))},
                result={
                    "results": [
                        {
                            "id": 3133880,
                            "name": "Tromsø",
                            "latitude": 69.6489,
                            "longitude": 18.95508,
                            "country_code": "NO",
                            "timezone": "Europe/Oslo",
                            "country": "Norway",
                        }
                    ]
                },
            ),
            Call(
                "open_meteo_forecast",
                {
                    "latitude": Ref(0, ("results", 0, "latitude")),
                    "longitude": Ref(0, ("results", 0, "longitude")),
                    "daily": OneOf(
                        (
                            ["temperature_2m_max", "temperature_2m_min"],
                            ["temperature_2m_min", "temperature_2m_max"],
                        )
                    ),
                    "forecast_days": 3,
                },
            ),
        ],
    ),
    Case(
        id="chain-restcountries-1",
        category="chain",
        source="https://restcountries.com/#endpoints-name",
        question="how cold is it right now in the capital of Mongolia?",
        functions=[RC_NAME, OM_FORECAST],
        expected=[
            Call(
                "restcountries_get_by_name",
                {"name": "Mongolia"},
                result=[
                    {
                        "name": {"common": "Mongolia", "official": "Mongolia"},
                        "cca2": "MN",
                        "capital": ["Ulan Bator"],
                        "capitalInfo": {"latlng": [47.92, 106.91]},
                        "timezones": ["UTC+07:00", "UTC+08:00"],
                    }
                ],
            ),
            Call(
                "open_meteo_forecast",
                {
                    "latitude": Ref(0, (0, "capitalInfo", "latlng", 0)),
                    "longitude": Ref(0, (0, "capitalInfo", "latlng", 1)),
                    "current": ["temperature_2m"],
                },
            ),
        ],
        notes="Only the country name is given; the capital's coordinates come from capitalInfo.",
    ),
    Case(
        id="chain-owm-1",
        category="chain",
        source="https://openweathermap.org/current",
        question="hey whats the weather like in Lyon rn? "
        "fahrenheit pls, my brain doesnt do celsius",
        functions=[OWM_GEOCODE, OWM_CURRENT],
        expected=[
            Call(
                "owm_geocode_direct",
                {"q": OneOf(("Lyon", "Lyon, FR", "Lyon,FR", "Lyon, France"))},
                result=[
                    {
                        "name": "Lyon",
                        "lat": 45.7578137,
                        "lon": 4.8320114,
                        "country": "FR",
                        "state": "Auvergne-Rhône-Alpes",
                    }
                ],
            ),
            Call(
                "owm_current_weather",
                {"lat": Ref(0, (0, "lat")), "lon": Ref(0, (0, "lon")), "units": "imperial"},
            ),
        ],
    ),
    Case(
        id="chain-owm-2",
        category="chain",
        source="https://openweathermap.org/api/air-pollution",
        question="My sister lives in Lahore and says the smog is awful this week. "
        "Can you check the current air quality index there?",
        functions=[OWM_GEOCODE, OWM_CURRENT, OWM_AIR],
        expected=[
            Call(
                "owm_geocode_direct",
                {"q": OneOf(("Lahore", "Lahore, PK", "Lahore,PK", "Lahore, Pakistan"))},
                result=[
                    {
                        "name": "Lahore",
                        "lat": 31.5656822,
                        "lon": 74.3141829,
                        "country": "PK",
                        "state": "Punjab",
                    }
                ],
            ),
            Call("owm_air_pollution", {"lat": Ref(0, (0, "lat")), "lon": Ref(0, (0, "lon"))}),
        ],
    ),
    Case(
        id="chain-googlemaps-1",
        category="chain",
        source="https://developers.google.com/maps/documentation/places/web-service/details",
        question="Show me the newest Google reviews for the Louvre in Paris.",
        functions=[GOOGLE_FIND_PLACE, GOOGLE_PLACE_DETAILS],
        expected=[
            Call(
                "google_find_place",
                {
                    "input": OneOf(
                        (
                            "Louvre",
                            "the Louvre",
                            "Louvre Paris",
                            "Louvre, Paris",
                            "the Louvre in Paris",
                            "Louvre Museum",
                            "Louvre Museum Paris",
                            "Louvre Museum, Paris",
                            "Musée du Louvre",
                            "Musée du Louvre, Paris",
                        )
                    ),
                    "inputtype": "textquery",
                },
                result={
                    "candidates": [
                        {"place_id": "ChIJD3uTd9hx5kcR1IQvGfr8dbk", "name": "Louvre Museum"}
                    ],
                    "status": "OK",
                },
            ),
            Call(
                "google_place_details",
                {"place_id": Ref(0, ("candidates", 0, "place_id")), "reviews_sort": "newest"},
            ),
        ],
    ),
    Case(
        id="chain-googlemaps-2",
        category="chain",
        source="https://developers.google.com/maps/documentation/geocoding/requests-geocoding",
        question="We've got outdoor shoots all week at 1 Infinite Loop, Cupertino. "
        "How high will the UV index peak each day there?",
        functions=[GOOGLE_GEOCODE, OM_FORECAST],
        expected=[
            Call(
                "google_geocode",
                {
                    "address": OneOf(
                        (
                            "1 Infinite Loop, Cupertino",
                            "1 Infinite Loop, Cupertino, CA",
                            "1 Infinite Loop Cupertino",
                            "1 Infinite Loop, Cupertino, CA 95014",
                        )
                    )
                },
                result={
                    "results": [
                        {
                            "formatted_address": "1 Infinite Loop, Cupertino, CA 95014, USA",
                            "geometry": {"location": {"lat": 37.3318598, "lng": -122.0302485}},
                            "place_id": "ChIJHTRqF7e1j4ARzZ_Fv8VA4Eo",
                        }
                    ],
                    "status": "OK",
                },
            ),
            Call(
                "open_meteo_forecast",
                {
                    "latitude": Ref(0, ("results", 0, "geometry", "location", "lat")),
                    "longitude": Ref(0, ("results", 0, "geometry", "location", "lng")),
                    "daily": ["uv_index_max"],
                },
            ),
        ],
    ),
    Case(
        id="chain-yelp-1",
        category="chain",
        source="https://docs.developer.yelp.com/reference/v3_business_reviews",
        question="What are people saying on Yelp about Tartine Bakery in San Francisco? "
        "Newest reviews first.",
        functions=[YELP_SEARCH, YELP_REVIEWS],
        expected=[
            Call(
                "yelp_search_businesses",
                {
                    "term": OneOf(("Tartine Bakery", "Tartine")),
                    "location": OneOf(("San Francisco", "San Francisco, CA")),
                },
                result={
                    "businesses": [
                        {
                            "id": "FmGF1B-Rpsjq1f5b56qMwg",
                            "alias": "tartine-bakery-san-francisco",
                            "name": "Tartine Bakery",
                            "rating": 4.4,
                            "review_count": 8900,
                            "coordinates": {"latitude": 37.76131, "longitude": -122.42431},
                        }
                    ],
                    "total": 3,
                },
            ),
            Call(
                "yelp_business_reviews",
                {
                    "business_id_or_alias": Ref(0, ("businesses", 0, "id")),
                    "sort_by": "newest",
                },
            ),
        ],
        notes="The alias would identify the business too; the id is expected.",
    ),
    Case(
        id="chain-mapbox-1",
        category="chain",
        source="https://docs.mapbox.com/api/search/geocoding/",
        question="Chance of rain hour by hour in Edinburgh today? "
        "Thinking of walking up Arthur's Seat.",
        functions=[MAPBOX_GEOCODE, OM_FORECAST],
        expected=[
            Call(
                "mapbox_forward_geocode",
                {"q": OneOf(("Edinburgh", "Edinburgh, Scotland", "Edinburgh, UK"))},
                result={
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "id": "dXJuOm1ieHBsYzpBUVRPN0E",
                            "geometry": {"type": "Point", "coordinates": [-3.188375, 55.953346]},
                            "properties": {
                                "feature_type": "place",
                                "name": "Edinburgh",
                                "full_address": "Edinburgh, Scotland, United Kingdom",
                            },
                        }
                    ],
                },
            ),
            Call(
                "open_meteo_forecast",
                {
                    "latitude": Ref(0, ("features", 0, "geometry", "coordinates", 1)),
                    "longitude": Ref(0, ("features", 0, "geometry", "coordinates", 0)),
                    "hourly": ["precipitation_probability"],
                    "forecast_days": 1,
                },
            ),
        ],
        notes="Mapbox gives [longitude, latitude]: the order is the trap.",
    ),
    # ---- GitHub ----
    Case(
        id="chain-github-1",
        category="chain",
        source="https://docs.github.com/en/rest/releases/assets",
        question="Which binaries are attached to the latest release of cli/cli?",
        functions=[GH_GET_REPO, GH_LATEST_RELEASE, GH_RELEASE_ASSETS],
        expected=[
            Call(
                "github_get_latest_release",
                {"owner": "cli", "repo": "cli"},
                result={
                    "id": 187263719,
                    "tag_name": "v2.63.2",
                    "name": "GitHub CLI 2.63.2",
                    "draft": False,
                    "prerelease": False,
                    "published_at": "2024-12-05T18:21:09Z",
                },
            ),
            Call(
                "github_list_release_assets",
                {"owner": "cli", "repo": "cli", "release_id": Ref(0, ("id",))},
            ),
        ],
    ),
    Case(
        id="chain-github-2",
        category="chain",
        source="https://docs.github.com/en/rest/issues/comments#create-an-issue-comment",
        question='Find the newest open issue labeled "bug" in vercel/next.js and comment on it: '
        '"Reproduced on 14.2.3 with the app router, looking into it."',
        functions=[GH_LIST_ISSUES, GH_CREATE_COMMENT],
        expected=[
            Call(
                "github_list_issues",
                {"owner": "vercel", "repo": "next.js", "state": "open", "labels": "bug"},
                result=[
                    {
                        "id": 2395512876,
                        "number": 67741,
                        "title": "Middleware rewrites drop query params on Vercel",
                        "state": "open",
                        "labels": [{"name": "bug"}],
                        "created_at": "2024-07-14T09:12:44Z",
                    },
                    {
                        "id": 2394401122,
                        "number": 67702,
                        "title": "next/image blurs SVGs in production build",
                        "state": "open",
                        "labels": [{"name": "bug"}],
                        "created_at": "2024-07-13T17:40:02Z",
                    },
                ],
            ),
            Call(
                "github_create_issue_comment",
                {
                    "owner": "vercel",
                    "repo": "next.js",
                    "issue_number": Ref(0, (0, "number")),
                    "body": "Reproduced on 14.2.3 with the app router, looking into it.",
                },
            ),
        ],
        notes="The issue number, not the issue id, goes in the comment call.",
    ),
    Case(
        id="chain-github-3",
        category="chain",
        source="https://docs.github.com/en/rest/pulls/pulls#list-pull-requests-files",
        question="what files does the most recent open PR against the master branch of "
        "fastapi/fastapi touch?",
        functions=[GH_LIST_ISSUES, GH_LIST_PULLS, GH_PR_FILES],
        expected=[
            Call(
                "github_list_pull_requests",
                {"owner": "fastapi", "repo": "fastapi", "state": "open", "base": "master"},
                result=[
                    {
                        "id": 2013345678,
                        "number": 12381,
                        "title": "📝 Update docs for dependencies with yield",
                        "state": "open",
                        "base": {"ref": "master"},
                        "head": {"ref": "docs-yield-deps"},
                        "created_at": "2024-10-29T11:05:13Z",
                    }
                ],
            ),
            Call(
                "github_list_pull_request_files",
                {"owner": "fastapi", "repo": "fastapi", "pull_number": Ref(0, (0, "number"))},
            ),
        ],
    ),
    # ---- Spotify ----
    Case(
        id="chain-spotify-1",
        category="chain",
        source="https://developer.spotify.com/documentation/web-api/reference/get-an-artists-top-tracks",
        question="What are Björk's most popular songs on Spotify in Iceland?",
        functions=[SP_SEARCH, SP_TOP_TRACKS],
        expected=[
            Call(
                "spotify_search",
                {
                    "q": OneOf(("Björk", "Bjork", "artist:Björk", "artist:Bjork")),
                    "type": ["artist"],
                },
                result={
                    "artists": {
                        "href": "https://api.spotify.com/v1/search?query=bj%C3%B6rk&type=artist",
                        "items": [
                            {
                                "id": "7w29UYBi0qsHi5RTcjh7FX",
                                "name": "Björk",
                                "genres": ["art pop", "icelandic experimental"],
                                "popularity": 61,
                                "uri": "spotify:artist:7w29UYBi0qsHi5RTcjh7FX",
                            }
                        ],
                        "total": 41,
                    }
                },
            ),
            Call(
                "spotify_get_artist_top_tracks",
                {"id": Ref(0, ("artists", "items", 0, "id")), "market": "IS"},
            ),
        ],
    ),
    Case(
        id="chain-spotify-2",
        category="chain",
        source="https://developer.spotify.com/documentation/web-api/reference/create-playlist",
        question="Make me a private playlist called Late Night Coding and put these two in it: "
        "spotify:track:4uLU6hMCjMI75M1A2tKUQC and spotify:track:7ouMYWpwJ422jRcDASZB7P",
        functions=[SP_ME, SP_CREATE_PLAYLIST, SP_ADD_ITEMS],
        expected=[
            Call(
                "spotify_get_current_user_profile",
                {},
                result={
                    "id": "smedjan",
                    "display_name": "Johan Smedjan",
                    "country": "SE",
                    "product": "premium",
                    "uri": "spotify:user:smedjan",
                },
            ),
            Call(
                "spotify_create_playlist",
                {"user_id": Ref(0, ("id",)), "name": "Late Night Coding", "public": False},
                result={
                    "id": "3cEYpjA9oz9GiPac4AsH4n",
                    "name": "Late Night Coding",
                    "public": False,
                    "collaborative": False,
                    "snapshot_id": "MSw0ZGEwZDFiNTk2ZjFmNTQ2MGY0ZWE0NjNjYTc2MDdjNTQ1ZTBlZTZm",
                    "uri": "spotify:playlist:3cEYpjA9oz9GiPac4AsH4n",
                },
            ),
            Call(
                "spotify_add_items_to_playlist",
                {
                    "playlist_id": Ref(1, ("id",)),
                    "uris": [
                        "spotify:track:4uLU6hMCjMI75M1A2tKUQC",
                        "spotify:track:7ouMYWpwJ422jRcDASZB7P",
                    ],
                },
            ),
        ],
    ),
    # ---- TMDB ----
    Case(
        id="chain-tmdb-1",
        category="chain",
        source="https://developer.themoviedb.org/reference/movie-credits",
        question="Who was in the cast of Heat, the 1995 one with De Niro?",
        functions=[TMDB_SEARCH_MOVIE, TMDB_MOVIE_CREDITS],
        expected=[
            Call(
                "tmdb_search_movie",
                {"query": "Heat", "year": "1995"},
                result={
                    "page": 1,
                    "results": [
                        {
                            "id": 949,
                            "title": "Heat",
                            "original_title": "Heat",
                            "release_date": "1995-12-15",
                            "vote_average": 7.9,
                        }
                    ],
                    "total_pages": 1,
                    "total_results": 1,
                },
            ),
            Call("tmdb_get_movie_credits", {"movie_id": Ref(0, ("results", 0, "id"))}),
        ],
    ),
    Case(
        id="chain-tmdb-2",
        category="chain",
        source="https://developer.themoviedb.org/reference/person-movie-credits",
        question="List every film Greta Gerwig has worked on, acting or directing.",
        functions=[TMDB_SEARCH_MOVIE, TMDB_SEARCH_PERSON, TMDB_PERSON_MOVIES],
        expected=[
            Call(
                "tmdb_search_person",
                {"query": "Greta Gerwig"},
                result={
                    "page": 1,
                    "results": [
                        {
                            "id": 45400,
                            "name": "Greta Gerwig",
                            "known_for_department": "Directing",
                            "popularity": 24.1,
                        }
                    ],
                    "total_results": 1,
                },
            ),
            Call("tmdb_get_person_movie_credits", {"person_id": Ref(0, ("results", 0, "id"))}),
        ],
    ),
    # ---- books, countries, money ----
    Case(
        id="chain-openlibrary-1",
        category="chain",
        source="https://openlibrary.org/dev/docs/api/authors",
        question="Give me 20 works by Ursula K. Le Guin from Open Library.",
        functions=[OL_SEARCH_AUTHORS, OL_AUTHOR_WORKS],
        expected=[
            Call(
                "openlibrary_search_authors",
                {"q": OneOf(("Ursula K. Le Guin", "Ursula K Le Guin", "Ursula Le Guin"))},
                result={
                    "numFound": 2,
                    "start": 0,
                    "docs": [
                        {
                            "key": "OL31574A",
                            "name": "Ursula K. Le Guin",
                            "birth_date": "21 October 1929",
                            "top_work": "A Wizard of Earthsea",
                            "work_count": 689,
                        }
                    ],
                },
            ),
            Call(
                "openlibrary_get_author_works",
                {"author_id": Ref(0, ("docs", 0, "key")), "limit": 20},
            ),
        ],
    ),
    Case(
        id="chain-restcountries-2",
        category="chain",
        source="https://restcountries.com/#endpoints-name",
        question="Heading to Hungary next week. What's 500 US dollars in their local money today?",
        functions=[RC_V2_NAME, FRANKFURTER_LATEST],
        expected=[
            Call(
                "restcountries_v2_get_by_name",
                {"name": "Hungary"},
                result=[
                    {
                        "name": "Hungary",
                        "alpha2Code": "HU",
                        "capital": "Budapest",
                        "currencies": [{"code": "HUF", "name": "Hungarian forint", "symbol": "Ft"}],
                    }
                ],
            ),
            Call(
                "frankfurter_latest",
                {"base": "USD", "symbols": Ref(0, (0, "currencies", 0, "code")), "amount": 500},
            ),
        ],
    ),
    Case(
        id="chain-frankfurter-1",
        category="chain",
        source="https://frankfurter.dev/",
        question="I get paid in Brazil and send money home to South Africa every month. "
        "How much is 1200 in my local currency worth in theirs right now?",
        functions=[RC_V2_NAME, FRANKFURTER_LATEST],
        expected=[
            Call(
                "restcountries_v2_get_by_name",
                {"name": "Brazil"},
                result=[
                    {
                        "name": "Brazil",
                        "alpha2Code": "BR",
                        "capital": "Brasília",
                        "currencies": [{"code": "BRL", "name": "Brazilian real", "symbol": "R$"}],
                    }
                ],
            ),
            Call(
                "restcountries_v2_get_by_name",
                {"name": "South Africa"},
                result=[
                    {
                        "name": "South Africa",
                        "alpha2Code": "ZA",
                        "capital": "Pretoria",
                        "currencies": [
                            {"code": "ZAR", "name": "South African rand", "symbol": "R"}
                        ],
                    }
                ],
            ),
            Call(
                "frankfurter_latest",
                {
                    "base": Ref(0, (0, "currencies", 0, "code")),
                    "symbols": Ref(1, (0, "currencies", 0, "code")),
                    "amount": 1200,
                },
            ),
        ],
        notes="The two country look-ups do not depend on each other; the conversion needs both.",
    ),
    # ---- Slack ----
    Case(
        id="chain-slack-1",
        category="chain",
        source="https://api.slack.com/methods/conversations.open",
        question="DM marco.rossi@northwind.io on Slack: Standup moved to 10:30 tomorrow.",
        functions=[SLACK_LOOKUP_EMAIL, SLACK_CONV_OPEN, SLACK_POST],
        expected=[
            Call(
                "slack_users_lookup_by_email",
                {"email": "marco.rossi@northwind.io"},
                result={
                    "ok": True,
                    "user": {
                        "id": "U04QF7M2K8L",
                        "team_id": "T01NWIND0",
                        "name": "marco.rossi",
                        "real_name": "Marco Rossi",
                        "tz": "Europe/Rome",
                    },
                },
            ),
            Call(
                "slack_conversations_open",
                {"users": Ref(0, ("user", "id"))},
                result={"ok": True, "channel": {"id": "D04R2HJ9X1C"}},
            ),
            Call(
                "slack_chat_post_message",
                {
                    "channel": Ref(1, ("channel", "id")),
                    "text": OneOf(
                        ("Standup moved to 10:30 tomorrow.", "Standup moved to 10:30 tomorrow")
                    ),
                },
            ),
        ],
    ),
    Case(
        id="chain-slack-2",
        category="chain",
        source="https://api.slack.com/methods/conversations.history",
        question="Can you pull the last 15 messages from #incident-response? "
        "I missed the whole thread last night",
        functions=[SLACK_CONV_LIST, SLACK_HISTORY, SLACK_POST],
        expected=[
            Call(
                "slack_conversations_list",
                {},
                result={
                    "ok": True,
                    "channels": [
                        {
                            "id": "C012AB3CD",
                            "name": "general",
                            "is_channel": True,
                            "is_archived": False,
                        },
                        {
                            "id": "C05INC1D3R",
                            "name": "incident-response",
                            "is_channel": True,
                            "is_archived": False,
                        },
                        {
                            "id": "C061F2RND",
                            "name": "random",
                            "is_channel": True,
                            "is_archived": False,
                        },
                    ],
                    "response_metadata": {"next_cursor": ""},
                },
            ),
            Call(
                "slack_conversations_history",
                {"channel": Ref(0, ("channels", 1, "id")), "limit": 15},
            ),
        ],
    ),
    Case(
        id="chain-slack-3",
        category="chain",
        source="https://api.slack.com/methods/users.getPresence",
        question="Is chen.wei@acme.io online on Slack right now or away?",
        functions=[SLACK_POST, SLACK_LOOKUP_EMAIL, SLACK_PRESENCE],
        expected=[
            Call(
                "slack_users_lookup_by_email",
                {"email": "chen.wei@acme.io"},
                result={
                    "ok": True,
                    "user": {
                        "id": "U07CHW3IL9",
                        "team_id": "T02ACME00",
                        "name": "chen.wei",
                        "real_name": "Chen Wei",
                        "tz": "Asia/Shanghai",
                    },
                },
            ),
            Call("slack_users_get_presence", {"user": Ref(0, ("user", "id"))}),
        ],
    ),
    # ---- Stripe ----
    Case(
        id="chain-stripe-1",
        category="chain",
        source="https://docs.stripe.com/api/charges/list",
        question="Show me the last 5 charges for our customer jane.doe@example.com.",
        functions=[STRIPE_LIST_CUSTOMERS, STRIPE_LIST_CHARGES],
        expected=[
            Call(
                "stripe_list_customers",
                {"email": "jane.doe@example.com"},
                result={
                    "object": "list",
                    "url": "/v1/customers",
                    "has_more": False,
                    "data": [
                        {
                            "id": "cus_PqR8sT2uVwXy3z",
                            "object": "customer",
                            "email": "jane.doe@example.com",
                            "name": "Jane Doe",
                            "created": 1709834211,
                        }
                    ],
                },
            ),
            Call("stripe_list_charges", {"customer": Ref(0, ("data", 0, "id")), "limit": 5}),
        ],
    ),
    Case(
        id="chain-stripe-2",
        category="chain",
        source="https://docs.stripe.com/api/invoices/create",
        question="Draft an invoice for billing@globex.com that gets emailed to them, "
        "payable within 30 days.",
        functions=[STRIPE_LIST_CUSTOMERS, STRIPE_LIST_CHARGES, STRIPE_CREATE_INVOICE],
        expected=[
            Call(
                "stripe_list_customers",
                {"email": "billing@globex.com"},
                result={
                    "object": "list",
                    "url": "/v1/customers",
                    "has_more": False,
                    "data": [
                        {
                            "id": "cus_Nx7GlobexA1b2C",
                            "object": "customer",
                            "email": "billing@globex.com",
                            "name": "Globex Corporation",
                            "currency": "usd",
                        }
                    ],
                },
            ),
            Call(
                "stripe_create_invoice",
                {
                    "customer": Ref(0, ("data", 0, "id")),
                    "collection_method": "send_invoice",
                    "days_until_due": 30,
                },
            ),
        ],
    ),
    # ---- PokeAPI, Hacker News, SpaceX ----
    Case(
        id="chain-pokeapi-1",
        category="chain",
        source="https://pokeapi.co/docs/v2#abilities",
        question="what does gengar's ability actually do",
        functions=[POKE_POKEMON, POKE_ABILITY],
        expected=[
            Call(
                "pokeapi_get_pokemon",
                {"name": "gengar"},
                result={
                    "id": 94,
                    "name": "gengar",
                    "abilities": [
                        {
                            "ability": {
                                "name": "cursed-body",
                                "url": "https://pokeapi.co/api/v2/ability/130/",
                            },
                            "is_hidden": False,
                            "slot": 1,
                        }
                    ],
                    "types": [
                        {"slot": 1, "type": {"name": "ghost"}},
                        {"slot": 2, "type": {"name": "poison"}},
                    ],
                },
            ),
            Call("pokeapi_get_ability", {"name": Ref(0, ("abilities", 0, "ability", "name"))}),
        ],
    ),
    Case(
        id="chain-hackernews-1",
        category="chain",
        source="https://github.com/HackerNews/API",
        question="Who posted the #1 story on Hacker News right now, "
        "and how much karma do they have?",
        functions=[HN_TOP, HN_ITEM, HN_USER],
        expected=[
            Call(
                "hackernews_top_stories",
                {},
                result=[42317856, 42316211, 42318004, 42309937, 42315520],
            ),
            Call(
                "hackernews_get_item",
                {"id": Ref(0, (0,))},
                result={
                    "id": 42317856,
                    "type": "story",
                    "by": "jsnell",
                    "title": "Why the IRS's Direct File program matters",
                    "score": 412,
                    "descendants": 233,
                    "time": 1733400112,
                },
            ),
            Call("hackernews_get_user", {"id": Ref(1, ("by",))}),
        ],
    ),
    Case(
        id="chain-spacex-1",
        category="chain",
        source="https://github.com/r-spacex/SpaceX-API/tree/master/docs",
        question="Where did SpaceX's most recent launch take off from?",
        functions=[SPACEX_LATEST, SPACEX_ROCKET, SPACEX_LAUNCHPAD],
        expected=[
            Call(
                "spacex_get_latest_launch",
                {},
                result={
                    "id": "62dd70d5202306255024d139",
                    "name": "Crew-5",
                    "flight_number": 187,
                    "date_utc": "2022-10-05T16:00:00.000Z",
                    "rocket": "5e9d0d95eda69973a809d1ec",
                    "launchpad": "5e9e4502f509094188566f88",
                    "success": True,
                },
            ),
            Call("spacex_get_launchpad", {"id": Ref(0, ("launchpad",))}),
        ],
    ),
    # ---- markets ----
    Case(
        id="chain-coingecko-1",
        category="chain",
        source="https://docs.coingecko.com/reference/simple-price",
        question="whats Render trading at in euros, and how much has it moved in the last 24h?",
        functions=[CG_SEARCH, CG_PRICE],
        expected=[
            Call(
                "coingecko_search",
                {"query": "Render"},
                result={
                    "coins": [
                        {
                            "id": "render-token",
                            "name": "Render",
                            "api_symbol": "render-token",
                            "symbol": "RENDER",
                            "market_cap_rank": 38,
                        }
                    ],
                    "exchanges": [],
                    "categories": [],
                },
            ),
            Call(
                "coingecko_simple_price",
                {
                    "ids": Ref(0, ("coins", 0, "id")),
                    "vs_currencies": "eur",
                    "include_24hr_change": True,
                },
            ),
        ],
        notes="The coin's API id is render-token, not its name.",
    ),
    Case(
        id="chain-alphavantage-1",
        category="chain",
        source="https://www.alphavantage.co/documentation/#symbolsearch",
        question="How's Siemens stock doing today? I only know the company name, not the ticker.",
        functions=[AV_SEARCH, AV_QUOTE],
        expected=[
            Call(
                "alphavantage_symbol_search",
                {"keywords": OneOf(("Siemens", "Siemens AG"))},
                result={
                    "bestMatches": [
                        {
                            "1. symbol": "SIE.DEX",
                            "2. name": "Siemens AG",
                            "3. type": "Equity",
                            "4. region": "XETRA",
                            "8. currency": "EUR",
                            "9. matchScore": "0.8000",
                        },
                        {
                            "1. symbol": "SIEGY",
                            "2. name": "Siemens AG ADR",
                            "3. type": "Equity",
                            "4. region": "United States",
                            "8. currency": "USD",
                            "9. matchScore": "0.6154",
                        },
                    ]
                },
            ),
            Call("alphavantage_global_quote", {"symbol": Ref(0, ("bestMatches", 0, "1. symbol"))}),
        ],
    ),
    # ---- work tools ----
    Case(
        id="chain-trello-1",
        category="chain",
        source="https://developer.atlassian.com/cloud/trello/rest/api-group-cards/#api-cards-post",
        question="On our Trello board 6512f0a3c9b1d24e8a7f3b21, add a card 'Update privacy policy' "
        "to the Backlog list, due 2025-07-01.",
        functions=[TRELLO_BOARD_LISTS, TRELLO_CREATE_CARD],
        expected=[
            Call(
                "trello_get_board_lists",
                {"id": "6512f0a3c9b1d24e8a7f3b21"},
                result=[
                    {
                        "id": "6512f0a3c9b1d24e8a7f3b2a",
                        "name": "Backlog",
                        "closed": False,
                        "pos": 16384,
                    },
                    {
                        "id": "6512f0a3c9b1d24e8a7f3b2b",
                        "name": "In Progress",
                        "closed": False,
                        "pos": 32768,
                    },
                    {
                        "id": "6512f0a3c9b1d24e8a7f3b2c",
                        "name": "Done",
                        "closed": False,
                        "pos": 49152,
                    },
                ],
            ),
            Call(
                "trello_create_card",
                {
                    "idList": Ref(0, (0, "id")),
                    "name": "Update privacy policy",
                    "due": OneOf(
                        ("2025-07-01", "2025-07-01T00:00:00Z", "2025-07-01T00:00:00.000Z")
                    ),
                },
            ),
        ],
    ),
    Case(
        id="chain-jira-1",
        category="chain",
        source="https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-assignee-put",
        question="Assign PROJ-1432 to Mia Krystof please",
        functions=[JIRA_FIND_USERS, JIRA_ASSIGN],
        expected=[
            Call(
                "jira_find_users",
                {"query": OneOf(("Mia Krystof", "Mia", "Krystof"))},
                result=[
                    {
                        "accountId": "5b10ac8d82e05b22cc7d4ef5",
                        "accountType": "atlassian",
                        "displayName": "Mia Krystof",
                        "emailAddress": "mia.krystof@example.com",
                        "active": True,
                    }
                ],
            ),
            Call(
                "jira_assign_issue",
                {"issueIdOrKey": "PROJ-1432", "accountId": Ref(0, (0, "accountId"))},
            ),
        ],
    ),
    Case(
        id="chain-notion-1",
        category="chain",
        source="https://developers.notion.com/reference/post-database-query",
        question="Show me the first 10 entries in my Notion database called Reading List.",
        functions=[NOTION_SEARCH, NOTION_QUERY_DB],
        expected=[
            Call(
                "notion_search",
                {"query": "Reading List"},
                result={
                    "object": "list",
                    "results": [
                        {
                            "object": "database",
                            "id": "a8aec43c-6d38-4a6a-9f4a-3c2d1e9b7f10",
                            "title": [{"type": "text", "plain_text": "Reading List"}],
                            "url": "https://www.notion.so/a8aec43c6d384a6a9f4a3c2d1e9b7f10",
                        }
                    ],
                    "next_cursor": None,
                    "has_more": False,
                },
            ),
            Call(
                "notion_query_database",
                {"database_id": Ref(0, ("results", 0, "id")), "page_size": 10},
            ),
        ],
    ),
    # ---- media and reference ----
    Case(
        id="chain-youtube-1",
        category="chain",
        source="https://developers.google.com/youtube/v3/docs/search/list",
        question="What are the 5 latest uploads on Veritasium's YouTube channel?",
        functions=[YT_SEARCH],
        expected=[
            Call(
                "youtube_search",
                {"part": "snippet", "q": "Veritasium", "type": "channel"},
                result={
                    "kind": "youtube#searchListResponse",
                    "items": [
                        {
                            "kind": "youtube#searchResult",
                            "id": {
                                "kind": "youtube#channel",
                                "channelId": "UCHnyfMqiRRG1u-2MsSQLbXA",
                            },
                            "snippet": {
                                "channelId": "UCHnyfMqiRRG1u-2MsSQLbXA",
                                "title": "Veritasium",
                                "channelTitle": "Veritasium",
                            },
                        }
                    ],
                    "pageInfo": {"totalResults": 12, "resultsPerPage": 5},
                },
            ),
            Call(
                "youtube_search",
                {
                    "part": "snippet",
                    "channelId": Ref(0, ("items", 0, "id", "channelId")),
                    "order": "date",
                    "maxResults": 5,
                },
            ),
        ],
        notes="The same function twice: find the channel, then its newest videos.",
    ),
    Case(
        id="chain-wikipedia-1",
        category="chain",
        source="https://api.wikimedia.org/wiki/Core_REST_API/Reference/Search/Search_titles",
        question="short wikipedia summary of the mathematician Srinivasa Ramanujen? "
        "not sure i spelled that right",
        functions=[WIKI_SEARCH_TITLES, WIKI_SUMMARY],
        expected=[
            Call(
                "wikipedia_search_titles",
                {
                    "q": OneOf(
                        ("Srinivasa Ramanujen", "Ramanujen", "Srinivasa Ramanujan", "Ramanujan")
                    )
                },
                result={
                    "pages": [
                        {
                            "id": 48293,
                            "key": "Srinivasa_Ramanujan",
                            "title": "Srinivasa Ramanujan",
                            "excerpt": "Srinivasa Ramanujan",
                            "description": "Indian mathematician (1887-1920)",
                        }
                    ]
                },
            ),
            Call("wikipedia_page_summary", {"title": Ref(0, ("pages", 0, "key"))}),
        ],
    ),
    # ---- files, meetings, messaging, commerce ----
    Case(
        id="chain-dropbox-1",
        category="chain",
        source="https://www.dropbox.com/developers/documentation/http/documentation#sharing-create_shared_link_with_settings",
        question="Find Q3-board-deck.pdf in my Dropbox and make a share link "
        "only people on our team can open.",
        functions=[DBX_SEARCH, DBX_SHARE],
        expected=[
            Call(
                "dropbox_search",
                {"query": OneOf(("Q3-board-deck.pdf", "Q3-board-deck"))},
                result={
                    "matches": [
                        {
                            "match_type": {".tag": "filename"},
                            "metadata": {
                                ".tag": "metadata",
                                "metadata": {
                                    ".tag": "file",
                                    "id": "id:a4ayc_80_OEAAAAAAAAAXw",
                                    "name": "Q3-board-deck.pdf",
                                    "path_display": "/Board/2024/Q3-board-deck.pdf",
                                    "path_lower": "/board/2024/q3-board-deck.pdf",
                                    "size": 4812733,
                                },
                            },
                        }
                    ],
                    "has_more": False,
                },
            ),
            Call(
                "dropbox_create_shared_link",
                {
                    "path": Ref(0, ("matches", 0, "metadata", "metadata", "path_lower")),
                    "requested_visibility": "team_only",
                },
            ),
        ],
        notes="path_display or the file id would also name the file; path_lower is expected.",
    ),
    Case(
        id="chain-zoom-1",
        category="chain",
        source="https://developers.zoom.us/docs/api/meetings/#tag/meetings/DELETE/meetings/{meetingId}",
        question="Cancel my next upcoming Zoom meeting, "
        "and make sure the registrants get a cancellation email.",
        functions=[ZOOM_LIST_MEETINGS, ZOOM_DELETE_MEETING],
        expected=[
            Call(
                "zoom_list_meetings",
                {"userId": "me", "type": "upcoming"},
                result={
                    "page_size": 30,
                    "total_records": 2,
                    "next_page_token": "",
                    "meetings": [
                        {
                            "id": 85746065432,
                            "uuid": "aDYlohsHRtCd4ii1uC2+hA==",
                            "topic": "Design sync",
                            "type": 2,
                            "start_time": "2025-06-03T15:00:00Z",
                            "duration": 30,
                            "timezone": "America/New_York",
                        },
                        {
                            "id": 81234509876,
                            "uuid": "Qm9vZ1lvV2VlazJ4Y0E9PQ==",
                            "topic": "Quarterly review",
                            "type": 2,
                            "start_time": "2025-06-05T18:00:00Z",
                            "duration": 60,
                            "timezone": "America/New_York",
                        },
                    ],
                },
            ),
            Call(
                "zoom_delete_meeting",
                {"meetingId": Ref(0, ("meetings", 0, "id")), "cancel_meeting_reminder": True},
            ),
        ],
    ),
    Case(
        id="chain-twilio-1",
        category="chain",
        source="https://www.twilio.com/docs/lookup/v2-api",
        question="Text 020 7946 0958 (a London number) from our Twilio number +14155550123: "
        "Your table for 4 is confirmed for 8pm tonight.",
        functions=[TWILIO_LOOKUP, TWILIO_SEND],
        expected=[
            Call(
                "twilio_lookup_phone_number",
                {"PhoneNumber": OneOf(("020 7946 0958", "02079460958")), "CountryCode": "GB"},
                result={
                    "calling_country_code": "44",
                    "country_code": "GB",
                    "phone_number": "+442079460958",
                    "national_format": "020 7946 0958",
                    "valid": True,
                    "validation_errors": [],
                },
            ),
            Call(
                "twilio_send_message",
                {
                    "To": Ref(0, ("phone_number",)),
                    "From": "+14155550123",
                    "Body": OneOf(
                        (
                            "Your table for 4 is confirmed for 8pm tonight.",
                            "Your table for 4 is confirmed for 8pm tonight",
                        )
                    ),
                },
            ),
        ],
        notes="The lookup turns the national-format number into E.164 for the To field.",
    ),
    Case(
        id="chain-shopify-1",
        category="chain",
        source="https://shopify.dev/docs/api/admin-rest/latest/resources/customer#get-customers-customer-id-orders",
        question="Pull up every order, including the closed and cancelled ones, "
        "for our customer dana.kim@example.com",
        functions=[SHOPIFY_SEARCH_CUSTOMERS, SHOPIFY_CUSTOMER_ORDERS],
        expected=[
            Call(
                "shopify_search_customers",
                {"query": OneOf(("email:dana.kim@example.com", "dana.kim@example.com"))},
                result={
                    "customers": [
                        {
                            "id": 207119551,
                            "email": "dana.kim@example.com",
                            "first_name": "Dana",
                            "last_name": "Kim",
                            "orders_count": 4,
                            "state": "enabled",
                        }
                    ]
                },
            ),
            Call(
                "shopify_get_customer_orders",
                {"customer_id": Ref(0, ("customers", 0, "id")), "status": "any"},
            ),
        ],
    ),
    Case(
        id="chain-discord-1",
        category="chain",
        source="https://discord.com/developers/docs/resources/guild#get-guild-channels",
        question="Post 'Server maintenance tonight at 22:00 UTC, expect ~30 min downtime.' in the "
        "#announcements channel of our Discord server 1098765432101234567.",
        functions=[DISCORD_GUILD_CHANNELS, DISCORD_CREATE_MESSAGE],
        expected=[
            Call(
                "discord_get_guild_channels",
                {"guild_id": "1098765432101234567"},
                result=[
                    {
                        "id": "1098765432101234568",
                        "type": 4,
                        "name": "Text Channels",
                        "position": 0,
                    },
                    {
                        "id": "1098765432101234569",
                        "type": 0,
                        "name": "general",
                        "position": 1,
                        "parent_id": "1098765432101234568",
                    },
                    {
                        "id": "1098765432101234575",
                        "type": 5,
                        "name": "announcements",
                        "position": 2,
                        "parent_id": "1098765432101234568",
                    },
                ],
            ),
            Call(
                "discord_create_message",
                {
                    "channel_id": Ref(0, (2, "id")),
                    "content": "Server maintenance tonight at 22:00 UTC, expect ~30 min downtime.",
                },
            ),
        ],
    ),
    Case(
        id="chain-gdrive-1",
        category="chain",
        source="https://developers.google.com/drive/api/reference/rest/v3/permissions/create",
        question="Give sam@contoso.com comment access to my spreadsheet "
        "named Budget 2025 on Google Drive.",
        functions=[GDRIVE_LIST, GDRIVE_PERMISSION],
        expected=[
            Call(
                "google_drive_files_list",
                {
                    "q": OneOf(
                        (
                            "name = 'Budget 2025'",
                            "name='Budget 2025'",
                            "name contains 'Budget 2025'",
                            "name = 'Budget 2025' and trashed = false",
                            "name = 'Budget 2025' and "
                            "mimeType = 'application/vnd.google-apps.spreadsheet'",
                        )
                    )
                },
                result={
                    "kind": "drive#fileList",
                    "incompleteSearch": False,
                    "files": [
                        {
                            "kind": "drive#file",
                            "id": "1qZ8xW3vB7nK2mL5pR9tY4uE6oA0sD1fG2hJ3kL4mN5o",
                            "name": "Budget 2025",
                            "mimeType": "application/vnd.google-apps.spreadsheet",
                        }
                    ],
                },
            ),
            Call(
                "google_drive_create_permission",
                {
                    "fileId": Ref(0, ("files", 0, "id")),
                    "role": "commenter",
                    "type": "user",
                    "emailAddress": "sam@contoso.com",
                },
            ),
        ],
        notes="The Drive query can be written several ways; the common ones are accepted.",
    ),
    Case(
        id="chain-nasa-1",
        category="chain",
        source="https://api.nasa.gov/",
        question="Which asteroids make a close approach to Earth on 2025-03-14? "
        "Get me the full record for the first one listed.",
        functions=[NASA_NEO_FEED, NASA_NEO_LOOKUP],
        expected=[
            Call(
                "nasa_neo_feed",
                {"start_date": "2025-03-14", "end_date": "2025-03-14"},
                result={
                    "element_count": 2,
                    "near_earth_objects": {
                        "2025-03-14": [
                            {
                                "id": "3542519",
                                "neo_reference_id": "3542519",
                                "name": "(2010 PK9)",
                                "is_potentially_hazardous_asteroid": True,
                                "absolute_magnitude_h": 21.8,
                            },
                            {
                                "id": "54016478",
                                "neo_reference_id": "54016478",
                                "name": "(2020 FD5)",
                                "is_potentially_hazardous_asteroid": False,
                                "absolute_magnitude_h": 24.6,
                            },
                        ]
                    },
                },
            ),
            Call(
                "nasa_neo_lookup",
                {"asteroid_id": Ref(0, ("near_earth_objects", "2025-03-14", 0, "id"))},
            ),
        ],
    ),
]
