#pragma once

#include <QString>

namespace ts::engine {

// Tunnelscope's one config folder, ~/.config/Tunnelscope: <XDG config home>/<organization>,
// the folder QSettings already keeps Tunnelscope.conf in. The CA (ca/) and the system proxy
// journal live there too. Earlier versions put those in Qt's AppConfigLocation,
// <organization>/<application>, which for "Tunnelscope"/"Tunnelscope" is the doubled
// ~/.config/Tunnelscope/Tunnelscope.
QString configFolder();
QString legacyConfigFolder();

// Where `name` (a file or folder in the config folder) is. One that only the legacy folder
// holds is moved here first with rename(2): the same inode, so the CA key is never copied
// and keeps its mode 0600, and the CA stays the one clients trust. The legacy folder goes once
// it is empty. When the move fails (another file system, say) the legacy path is returned,
// so the old CA keeps working; `notice`, when given, then says why.
QString migratedPath(const QString &name, QString *notice = nullptr);

} // namespace ts::engine
