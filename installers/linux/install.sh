#!/usr/bin/env bash
# Install the built app (dist/repowiki/, from installers/build.sh) with a menu entry and an icon.
#
#   installers/linux/install.sh [APP_DIR]             for this user: ~/.local/opt/repowiki,
#                                                     ~/.local/bin/repowiki, ~/.local/share/applications
#   sudo installers/linux/install.sh --system [APP_DIR]   for everyone: /opt/repowiki, /usr/local/bin,
#                                                     /usr/share/applications
#   installers/linux/install.sh --uninstall [--system]    remove what the matching install wrote
#
# The data dir (~/.local/share/repowiki) is never touched.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
app_src="$here/../../dist/repowiki"
system=0
uninstall=0
for arg in "$@"; do
    case "$arg" in
        --system) system=1 ;;
        --uninstall) uninstall=1 ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        -*) echo "install.sh: unknown option $arg" >&2; exit 2 ;;
        *) app_src="$arg" ;;
    esac
done

if [ "$system" = 1 ]; then
    dest=/opt/repowiki
    bindir=/usr/local/bin
    share=/usr/share
else
    data="${XDG_DATA_HOME:-$HOME/.local/share}"
    dest="$HOME/.local/opt/repowiki"
    bindir="$HOME/.local/bin"
    share="$data"
fi
apps="$share/applications"
icon="$share/icons/hicolor/scalable/apps/repowiki.svg"
desktop="$apps/repowiki.desktop"

refresh_menus() {
    command -v update-desktop-database >/dev/null && update-desktop-database "$apps" 2>/dev/null || true
    command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q "$share/icons/hicolor" 2>/dev/null || true
}

if [ "$uninstall" = 1 ]; then
    rm -rf "$dest"
    rm -f "$desktop" "$icon"
    [ -L "$bindir/repowiki" ] && rm -f "$bindir/repowiki"
    refresh_menus
    echo "install.sh: removed $dest, $desktop, $icon and $bindir/repowiki"
    exit 0
fi

[ -x "$app_src/repowiki" ] || { echo "install.sh: no app in $app_src; run installers/build.sh first" >&2; exit 1; }
app_src="$(cd "$app_src" && pwd)"

# Copy beside the old install, then swap: an interrupted copy never leaves a half app in place.
mkdir -p "$(dirname "$dest")" "$bindir" "$apps" "$(dirname "$icon")"
rm -rf "$dest.new"
cp -a "$app_src" "$dest.new"
rm -rf "$dest"
mv "$dest.new" "$dest"
install -m 644 "$dest/_internal/repowiki_gui/resources/icons/repowiki.svg" "$icon"
sed -e "s|@EXEC@|$dest/repowiki|g" -e "s|@ICON@|$icon|g" "$here/repowiki.desktop" > "$desktop"
chmod 644 "$desktop"
ln -sfn "$dest/repowiki" "$bindir/repowiki"
refresh_menus

echo "install.sh: installed RepoWiki in $dest"
echo "  menu entry: $desktop"
echo "  command:    $bindir/repowiki (gui, index, ask, wiki, serve, worker ...)"
case ":$PATH:" in *":$bindir:"*) ;; *) echo "  note: $bindir is not on your PATH" ;; esac
missing=""
ldconfig="$(command -v ldconfig || echo /sbin/ldconfig)"
for lib in libxcb-cursor.so.0 libxcb-icccm.so.4 libxcb-keysyms.so.1; do
    "$ldconfig" -p 2>/dev/null | grep -q "$lib" || missing="$missing $lib"
done
if [ -n "$missing" ]; then
    echo "  the window needs the xcb libraries (missing here:$missing):"
    echo "    sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1"
    echo "  (without them Qt cannot load its xcb plugin; \`repowiki\` then prints this hint)"
else
    echo "  a real X window needs libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1: found here"
fi
missing=""
for lib in libnss3.so libasound.so.2 libxkbcommon.so.0 libxkbfile.so.1 libXcomposite.so.1 libXdamage.so.1 \
           libXrandr.so.2 libXtst.so.6 libgbm.so.1 libGL.so.1 libdbus-1.so.3 libfontconfig.so.1; do
    "$ldconfig" -p 2>/dev/null | grep -q "/$lib\$" || missing="$missing $lib"
done
if [ -n "$missing" ]; then
    echo "  the Wiki tab (QtWebEngine) needs libraries missing here:$missing"
    echo "    sudo apt-get install libnss3 libasound2 libxkbcommon0 libxkbfile1 libxcomposite1 libxdamage1 \\"
    echo "      libxrandr2 libxtst6 libgbm1 libgl1 libdbus-1-3 libfontconfig1"
fi
