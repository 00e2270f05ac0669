/**
 * The applications behind host names: a readable table of domain suffixes per application, in the
 * spirit of nDPI's host_match lists. Extend it by adding a suffix to a row or a row to the table.
 */

export type AppCategory =
  | "video" | "music" | "social" | "messaging" | "conferencing" | "gaming" | "cloud" | "storage"
  | "email" | "productivity" | "shopping" | "news" | "web" | "ads" | "cdn" | "iot" | "vpn"
  | "software" | "network" | "dating" | "finance";

export interface ApplicationDomains {
  app: string;
  category: AppCategory;
  /** A host matches when it equals a suffix or ends with "." + suffix. */
  suffixes: string[];
}

/** The longest matching suffix wins, so a specific row (yt3.ggpht.com) beats a generic one (ggpht.com). */
export const APPLICATIONS: ApplicationDomains[] = [
  // Video
  { app: "YouTube", category: "video", suffixes: ["youtube.com", "googlevideo.com", "ytimg.com", "youtu.be", "yt3.ggpht.com", "youtube-nocookie.com", "youtubei.googleapis.com", "youtubekids.com", "yt.be"] },
  { app: "Netflix", category: "video", suffixes: ["netflix.com", "netflix.net", "nflxvideo.net", "nflximg.net", "nflximg.com", "nflxext.com", "nflxso.net"] },
  { app: "Disney+", category: "video", suffixes: ["disneyplus.com", "disney-plus.net", "bamgrid.com", "dssott.com", "disney.io", "dssedge.com"] },
  { app: "Prime Video", category: "video", suffixes: ["primevideo.com", "aiv-cdn.net", "aiv-delivery.net", "amazonvideo.com", "pv-cdn.net"] },
  { app: "Hulu", category: "video", suffixes: ["hulu.com", "hulustream.com", "huluim.com"] },
  { app: "Twitch", category: "video", suffixes: ["twitch.tv", "ttvnw.net", "jtvnw.net", "twitchcdn.net", "twitchsvc.net", "ext-twitch.tv"] },
  { app: "Vimeo", category: "video", suffixes: ["vimeo.com", "vimeocdn.com"] },
  { app: "Dailymotion", category: "video", suffixes: ["dailymotion.com", "dmcdn.net", "dm-event.net"] },
  { app: "HBO Max", category: "video", suffixes: ["hbomax.com", "max.com", "hbo.com", "hbogo.com"] },
  { app: "iQIYI", category: "video", suffixes: ["iqiyi.com", "iqiyipic.com", "qy.net", "71.am"] },
  { app: "1kxun", category: "video", suffixes: ["1kxun.com", "1kxun.mobi"] },
  { app: "Likee", category: "video", suffixes: ["like.video", "likee.video", "likeevideo.com"] },
  { app: "iflix", category: "video", suffixes: ["iflix.com", "iflixcorp.com"] },
  { app: "OCS", category: "video", suffixes: ["ocs.fr", "labgency.ws"] },
  { app: "Plex", category: "video", suffixes: ["plex.tv", "plex.direct", "plexapp.com"] },
  // Music
  { app: "Spotify", category: "music", suffixes: ["spotify.com", "scdn.co", "spotifycdn.com", "spotifycdn.net", "spoti.fi", "pscdn.co", "spotify.design"] },
  { app: "Deezer", category: "music", suffixes: ["deezer.com", "dzcdn.net"] },
  { app: "SoundCloud", category: "music", suffixes: ["soundcloud.com", "sndcdn.com"] },
  { app: "Pandora", category: "music", suffixes: ["pandora.com", "p-cdn.com", "p-cdn.us"] },
  { app: "Last.fm", category: "music", suffixes: ["last.fm", "lastfm.com", "lst.fm"] },
  { app: "Apple Music", category: "music", suffixes: ["music.apple.com", "audio-ssl.itunes.apple.com"] },
  { app: "Tidal", category: "music", suffixes: ["tidal.com", "tidalhifi.com"] },
  // Social
  { app: "Facebook", category: "social", suffixes: ["facebook.com", "facebook.net", "fbcdn.net", "fbsbx.com", "fb.com", "fb.me", "facebook-hardware.com", "fbpigeon.com"] },
  { app: "Facebook Messenger", category: "messaging", suffixes: ["messenger.com", "edge-mqtt.facebook.com", "m.me"] },
  { app: "Instagram", category: "social", suffixes: ["instagram.com", "cdninstagram.com", "ig.me", "instagr.am"] },
  { app: "Threads", category: "social", suffixes: ["threads.net", "threads.com"] },
  { app: "TikTok", category: "social", suffixes: ["tiktok.com", "tiktokv.com", "tiktokcdn.com", "tiktokcdn-us.com", "musical.ly", "byteoversea.com", "ibytedtos.com", "ttwstatic.com", "tiktokv.us", "muscdn.com"] },
  { app: "Twitter/X", category: "social", suffixes: ["twitter.com", "twimg.com", "t.co", "x.com", "twttr.com", "twitter.co"] },
  { app: "Reddit", category: "social", suffixes: ["reddit.com", "redditmedia.com", "redditstatic.com", "redd.it", "reddituploads.com", "redditspace.com"] },
  { app: "LinkedIn", category: "social", suffixes: ["linkedin.com", "licdn.com", "lnkd.in"] },
  { app: "Pinterest", category: "social", suffixes: ["pinterest.com", "pinimg.com", "pin.it"] },
  { app: "Snapchat", category: "social", suffixes: ["snapchat.com", "snapads.com", "sc-cdn.net", "snap-dev.net", "sc-static.net", "snapkit.com"] },
  { app: "Tumblr", category: "social", suffixes: ["tumblr.com"] },
  { app: "Bluesky", category: "social", suffixes: ["bsky.app", "bsky.social", "bsky.network"] },
  { app: "Mastodon", category: "social", suffixes: ["mastodon.social", "joinmastodon.org", "mastodon.online"] },
  { app: "Badoo", category: "dating", suffixes: ["badoo.com", "badoocdn.com"] },
  { app: "Tinder", category: "dating", suffixes: ["tinder.com", "gotinder.com", "tindersparks.com"] },
  { app: "VK", category: "social", suffixes: ["vk.com", "vk.me", "userapi.com", "vkuser.net"] },
  { app: "Weibo", category: "social", suffixes: ["weibo.com", "weibo.cn", "sinaimg.cn"] },
  // Messaging
  { app: "WhatsApp", category: "messaging", suffixes: ["whatsapp.com", "whatsapp.net", "wa.me"] },
  { app: "Telegram", category: "messaging", suffixes: ["telegram.org", "telegram.me", "t.me", "tdesktop.com", "telesco.pe", "telegra.ph", "telegram.dog"] },
  { app: "Signal", category: "messaging", suffixes: ["signal.org", "whispersystems.org", "signal.art", "signal.group"] },
  { app: "Discord", category: "messaging", suffixes: ["discord.com", "discord.gg", "discordapp.com", "discordapp.net", "discord.media", "discordcdn.com"] },
  { app: "WeChat", category: "messaging", suffixes: ["wechat.com", "weixin.qq.com", "wechatapp.com", "servicewechat.com", "weixinbridge.com"] },
  { app: "QQ", category: "messaging", suffixes: ["qq.com", "qqmail.com", "gtimg.cn", "qpic.cn", "idqqimg.com"] },
  { app: "LINE", category: "messaging", suffixes: ["line.me", "line-apps.com", "line-scdn.net", "naver.jp", "line.naver.jp", "linecorp.com"] },
  { app: "KakaoTalk", category: "messaging", suffixes: ["kakao.com", "kakaocdn.net", "kakao.co.kr", "daumcdn.net"] },
  { app: "Viber", category: "messaging", suffixes: ["viber.com", "cdn.viber.com"] },
  { app: "Slack", category: "productivity", suffixes: ["slack.com", "slack-edge.com", "slack-msgs.com", "slack-imgs.com", "slack-files.com"] },
  // Conferencing
  { app: "Zoom", category: "conferencing", suffixes: ["zoom.us", "zoom.com", "zoomgov.com", "zoom.com.cn", "zoomcdn.com"] },
  { app: "Microsoft Teams", category: "conferencing", suffixes: ["teams.microsoft.com", "teams.office.com", "teams.live.com", "teams.cdn.office.net", "teams-msgapi.trafficmanager.net", "flightproxy.teams.microsoft.com", "skype.com", "skypeassets.com", "skype.net", "lync.com", "microsoftstream.com", "hockeyapp.net"] },
  { app: "Webex", category: "conferencing", suffixes: ["webex.com", "wbx2.com", "ciscospark.com"] },
  { app: "Google Meet", category: "conferencing", suffixes: ["meet.google.com", "meetings.googleapis.com"] },
  { app: "GoTo Meeting", category: "conferencing", suffixes: ["gotomeeting.com", "logmein.com", "goto.com"] },
  { app: "Adobe Connect", category: "conferencing", suffixes: ["adobeconnect.com"] },
  { app: "Fuze", category: "conferencing", suffixes: ["fuze.com", "thinkingphones.com"] },
  // Microsoft
  { app: "Microsoft 365", category: "productivity", suffixes: ["office.com", "office.net", "office365.com", "microsoftonline.com", "sharepoint.com", "outlook.com", "outlook.office.com", "outlook.office365.com", "onenote.com", "substrate.office.com", "officeapps.live.com", "msauth.net", "msftauth.net", "login.live.com", "hotmail.com", "live.com"] },
  { app: "OneDrive", category: "storage", suffixes: ["onedrive.com", "onedrive.live.com", "1drv.ms", "1drv.com", "storage.live.com"] },
  { app: "Windows Update", category: "software", suffixes: ["windowsupdate.com", "update.microsoft.com", "delivery.mp.microsoft.com", "download.windowsupdate.com", "dl.delivery.mp.microsoft.com"] },
  { app: "Azure", category: "cloud", suffixes: ["azure.com", "azureedge.net", "azurewebsites.net", "windows.net", "azure.net", "cloudapp.azure.com", "cloudapp.net", "azurefd.net"] },
  { app: "Xbox Live", category: "gaming", suffixes: ["xbox.com", "xboxlive.com", "xboxservices.com", "gamepass.com"] },
  { app: "Bing", category: "web", suffixes: ["bing.com", "bing.net"] },
  { app: "Microsoft", category: "cloud", suffixes: ["microsoft.com", "msn.com", "msedge.net", "microsoftapp.net", "appcenter.ms", "aria.microsoft.com", "events.data.microsoft.com", "msftconnecttest.com", "msftncsi.com", "windows.com", "s-microsoft.com", "gfx.ms", "visualstudio.com", "trafficmanager.net"] },
  // Apple
  { app: "Apple iCloud", category: "storage", suffixes: ["icloud.com", "icloud-content.com", "icloud.com.cn", "me.com", "apple-cloudkit.com"] },
  { app: "Apple iTunes", category: "music", suffixes: ["itunes.com", "itunes.apple.com", "apps.apple.com"] },
  { app: "Apple Siri", category: "web", suffixes: ["guzzoni.apple.com", "siri.apple.com"] },
  { app: "Apple", category: "cloud", suffixes: ["apple.com", "apple.news", "cdn-apple.com", "aaplimg.com", "apple-dns.net", "apple.co", "appattest.apple.com", "push.apple.com", "ls.apple.com", "mzstatic.com", "apple-mapkit.com"] },
  // Google
  { app: "Gmail", category: "email", suffixes: ["mail.google.com", "gmail.com", "inbox.google.com"] },
  { app: "Google Docs", category: "productivity", suffixes: ["docs.google.com", "sheets.google.com", "slides.google.com", "docs.googleusercontent.com"] },
  { app: "Google Drive", category: "storage", suffixes: ["drive.google.com", "drive.googleapis.com", "googledrive.com"] },
  { app: "Google Maps", category: "web", suffixes: ["maps.google.com", "maps.googleapis.com", "maps.gstatic.com"] },
  { app: "Google Play", category: "software", suffixes: ["play.google.com", "android.clients.google.com", "play-fe.googleapis.com", "play-lh.googleusercontent.com"] },
  { app: "Google Classroom", category: "productivity", suffixes: ["classroom.google.com"] },
  { app: "Google", category: "web", suffixes: ["google.com", "googleapis.com", "gstatic.com", "googleusercontent.com", "ggpht.com", "google-analytics.com", "googletagmanager.com", "googletagservices.com", "googlesyndication.com", "doubleclick.net", "googleadservices.com", "app-measurement.com", "googlezip.net", "crashlytics.com", "firebaseio.com", "firebase.com", "ampproject.org", "gvt1.com", "gvt2.com", "withgoogle.com", "google.it", "google.fr", "google.de", "google.co.uk", "google.es", "google.co.jp", "google.ca", "googlecode.com", "goo.gl", "1e100.net", "android.com", "gmodules.com", "open-js.com", "google.cn", "googleblog.com", "googlemail.com"] },
  // Amazon
  { app: "Amazon", category: "shopping", suffixes: ["amazon.com", "amazon.co.uk", "amazon.de", "amazon.fr", "amazon.it", "amazon.es", "amazon.co.jp", "amazon.ca", "media-amazon.com", "ssl-images-amazon.com", "amazon-adsystem.com", "a2z.com", "images-amazon.com", "amazontrust.com"] },
  { app: "Alexa", category: "iot", suffixes: ["alexa.amazon.com", "avs-alexa-na.amazon.com", "device-metrics-us.amazon.com", "amazonalexa.com", "alexa.com"] },
  { app: "Ring", category: "iot", suffixes: ["ring.com", "ringcentral-ring.com"] },
  { app: "Amazon AWS", category: "cloud", suffixes: ["amazonaws.com", "awsstatic.com", "aws.amazon.com", "cloudfront.net", "awsdns-00.com", "elasticbeanstalk.com"] },
  // Cloud, CDN and infrastructure
  { app: "Cloudflare", category: "cdn", suffixes: ["cloudflare.com", "cloudflare.net", "cloudflare-dns.com", "cloudflareinsights.com", "one.one.one.one", "cloudflarestream.com", "workers.dev", "pages.dev"] },
  { app: "Akamai", category: "cdn", suffixes: ["akamai.net", "akamaiedge.net", "akamaihd.net", "akamaized.net", "edgekey.net", "edgesuite.net", "akamaitechnologies.com", "akadns.net"] },
  { app: "Fastly", category: "cdn", suffixes: ["fastly.net", "fastlylb.net", "fastly.com"] },
  { app: "Huawei Cloud", category: "cloud", suffixes: ["huawei.com", "hicloud.com", "dbankcdn.com", "dbankcloud.com", "huaweicloud.com"] },
  { app: "Dropbox", category: "storage", suffixes: ["dropbox.com", "dropboxapi.com", "dropboxstatic.com", "dropboxusercontent.com", "db.tt", "getdropbox.com"] },
  { app: "Box", category: "storage", suffixes: ["box.com", "boxcdn.net", "box.net"] },
  { app: "Mega", category: "storage", suffixes: ["mega.nz", "mega.co.nz", "mega.io"] },
  { app: "GitHub", category: "software", suffixes: ["github.com", "githubusercontent.com", "github.io", "githubassets.com", "ghcr.io"] },
  { app: "GitLab", category: "software", suffixes: ["gitlab.com", "gitlab.io", "gitlab-static.net"] },
  { app: "Ubuntu", category: "software", suffixes: ["ubuntu.com", "canonical.com", "launchpad.net", "snapcraft.io", "ubuntuone.com"] },
  { app: "Debian", category: "software", suffixes: ["debian.org", "debian.net"] },
  { app: "Mozilla", category: "software", suffixes: ["mozilla.org", "mozilla.com", "mozilla.net", "firefox.com", "mozgcp.net"] },
  { app: "ntop", category: "software", suffixes: ["ntop.org"] },
  { app: "Let's Encrypt", category: "network", suffixes: ["letsencrypt.org", "lencr.org"] },
  { app: "DigiCert", category: "network", suffixes: ["digicert.com", "ocsp.digicert.com"] },
  // Gaming
  { app: "Steam", category: "gaming", suffixes: ["steampowered.com", "steamcommunity.com", "steamcontent.com", "steamstatic.com", "steamserver.net", "steamgames.com", "steamusercontent.com", "valvesoftware.com"] },
  { app: "PlayStation Network", category: "gaming", suffixes: ["playstation.com", "playstation.net", "sonyentertainmentnetwork.com", "psn.com", "np.community.playstation.net", "playstation.org"] },
  { app: "Nintendo", category: "gaming", suffixes: ["nintendo.com", "nintendo.net", "nintendo.co.jp", "nintendowifi.net"] },
  { app: "Epic Games", category: "gaming", suffixes: ["epicgames.com", "epicgames.dev", "unrealengine.com", "fortnite.com", "epicgames.net"] },
  { app: "Electronic Arts", category: "gaming", suffixes: ["ea.com", "origin.com", "eaassets-a.akamaihd.net", "origin-a.akamaihd.net", "tnt-ea.com"] },
  { app: "Activision", category: "gaming", suffixes: ["activision.com", "callofduty.com", "demonware.net"] },
  { app: "Blizzard", category: "gaming", suffixes: ["blizzard.com", "battle.net", "blzstatic.com", "battlenet.com.cn"] },
  { app: "Riot Games", category: "gaming", suffixes: ["riotgames.com", "leagueoflegends.com", "riotcdn.net", "pvp.net"] },
  { app: "Roblox", category: "gaming", suffixes: ["roblox.com", "rbxcdn.com", "roblox.qq.com"] },
  { app: "Minecraft", category: "gaming", suffixes: ["minecraft.net", "mojang.com", "minecraftservices.com"] },
  // Email, web, news, shopping
  { app: "Yahoo", category: "web", suffixes: ["yahoo.com", "yimg.com", "yahooapis.com", "yahoo.net"] },
  { app: "Wikipedia", category: "web", suffixes: ["wikipedia.org", "wikimedia.org", "wikidata.org", "wiktionary.org", "wikimediafoundation.org"] },
  { app: "DuckDuckGo", category: "web", suffixes: ["duckduckgo.com"] },
  { app: "Pastebin", category: "web", suffixes: ["pastebin.com"] },
  { app: "AccuWeather", category: "web", suffixes: ["accuweather.com"] },
  { app: "CNN", category: "news", suffixes: ["cnn.com", "cnn.io", "turner.com"] },
  { app: "BBC", category: "news", suffixes: ["bbc.co.uk", "bbc.com", "bbci.co.uk"] },
  { app: "Bloomberg", category: "news", suffixes: ["bloomberg.com", "bloomberg.net", "bbthat.com"] },
  { app: "New York Times", category: "news", suffixes: ["nytimes.com", "nyt.com"] },
  { app: "eBay", category: "shopping", suffixes: ["ebay.com", "ebaystatic.com", "ebayimg.com", "ebay.de", "ebay.co.uk"] },
  { app: "AliExpress", category: "shopping", suffixes: ["aliexpress.com", "alicdn.com", "alibaba.com", "aliexpress.us"] },
  { app: "PayPal", category: "finance", suffixes: ["paypal.com", "paypalobjects.com", "paypal.me"] },
  { app: "Zoho", category: "productivity", suffixes: ["zoho.com", "zohocdn.com"] },
  { app: "Salesforce", category: "productivity", suffixes: ["salesforce.com", "force.com", "sfdcstatic.com"] },
  { app: "Adobe", category: "software", suffixes: ["adobe.com", "adobe.io", "adobelogin.com", "typekit.net", "adobedtm.com"] },
  { app: "OpenAI", category: "productivity", suffixes: ["openai.com", "chatgpt.com", "oaistatic.com", "oaiusercontent.com"] },
  // Ads and analytics
  { app: "Ads/Analytics", category: "ads", suffixes: ["scorecardresearch.com", "adnxs.com", "criteo.com", "criteo.net", "taboola.com", "outbrain.com", "rubiconproject.com", "pubmatic.com", "moatads.com", "hotjar.com", "branch.io", "appsflyer.com", "adjust.com", "liftoff.io", "applovin.com", "unityads.unity3d.com", "sourcepoint.com", "chartbeat.com", "quantserve.com", "mixpanel.com", "segment.io", "newrelic.com", "nr-data.net"] },
  // IoT and smart home
  { app: "Tuya", category: "iot", suffixes: ["tuya.com", "tuyaus.com", "tuyaeu.com", "tuyacn.com", "tuyain.com", "iotbing.com"] },
  { app: "Google Nest", category: "iot", suffixes: ["nest.com", "nestlabs.com", "home.nest.com", "dropcam.com"] },
  { app: "Philips Hue", category: "iot", suffixes: ["meethue.com", "philips-hue.com"] },
  { app: "TP-Link", category: "iot", suffixes: ["tplinkcloud.com", "tplinkra.com", "tp-link.com", "kasasmart.com"] },
  { app: "Xiaomi", category: "iot", suffixes: ["xiaomi.com", "mi.com", "miui.com", "xiaomi.net", "io.mi.com"] },
  { app: "Sonos", category: "iot", suffixes: ["sonos.com", "sonos.net"] },
  { app: "SmartThings", category: "iot", suffixes: ["smartthings.com", "samsungiotcloud.com"] },
  { app: "Samsung", category: "iot", suffixes: ["samsung.com", "samsungcloud.com", "samsungcloudsolution.com", "samsungapps.com", "samsungqbe.com", "samsungosp.com"] },
  { app: "Roku", category: "video", suffixes: ["roku.com", "rokutime.com"] },
  { app: "Ecobee", category: "iot", suffixes: ["ecobee.com"] },
  { app: "Wyze", category: "iot", suffixes: ["wyze.com", "wyzecam.com"] },
  { app: "Arlo", category: "iot", suffixes: ["arlo.com", "arlo.netgear.com"] },
  { app: "Shelly", category: "iot", suffixes: ["shelly.cloud", "shelly.com"] },
  // VPN and privacy
  { app: "NordVPN", category: "vpn", suffixes: ["nordvpn.com", "nordcdn.com", "nordvpn.net"] },
  { app: "Surfshark", category: "vpn", suffixes: ["surfshark.com"] },
  { app: "ExpressVPN", category: "vpn", suffixes: ["expressvpn.com", "expressapisv2.net"] },
  { app: "ProtonVPN", category: "vpn", suffixes: ["protonvpn.com", "proton.me", "protonmail.com", "protonmail.ch"] },
  { app: "Tor", category: "vpn", suffixes: ["torproject.org"] },
  // Network services
  { app: "NTP Pool", category: "network", suffixes: ["pool.ntp.org", "ntp.org"] },
  { app: "Quad9", category: "network", suffixes: ["quad9.net"] },
  { app: "OpenDNS", category: "network", suffixes: ["opendns.com", "umbrella.com"] },
];
