package org.elasticsearch.plugins;

import org.elasticsearch.Version;
import org.elasticsearch.common.settings.Settings;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A PluginsService whose plugins are classes already on the classpath, instead of
 * bundles unpacked under $ES_HOME/modules as in the official distribution.
 *
 * It lives in org.elasticsearch.plugins because LoadedPlugin, loadPlugin() and
 * loadExtensions() are package-private. We run from the classpath (unnamed
 * module), so sharing the package with the server jar is allowed.
 */
public class ClasspathPluginsService extends PluginsService {
    private final List<LoadedPlugin> loaded;

    public ClasspathPluginsService(Settings settings, PluginsLoader emptyLoader, Collection<Class<? extends Plugin>> pluginClasses) {
        // The loader has no bundles, so the superclass discovers nothing by itself.
        super(settings, null, emptyLoader);
        loaded = new ArrayList<>(pluginClasses.size());
        for (Class<? extends Plugin> pluginClass : pluginClasses) {
            Plugin instance = loadPlugin(pluginClass, settings, null);
            PluginDescriptor descriptor = new PluginDescriptor(
                pluginClass.getSimpleName(),    // name
                "loaded from the classpath",    // description
                Version.CURRENT.toString(),     // plugin version
                Version.CURRENT.toString(),     // elasticsearch version it targets
                Runtime.version().feature() + "",
                pluginClass.getName(),          // class name
                null,                           // not a named module
                List.of(),                      // extends no other plugin
                false, false, false, false,     // native controller, licensed, modular, stable
                PluginDescriptor.DeploymentTarget.ALL);
            loaded.add(new LoadedPlugin(descriptor, instance, pluginClass.getClassLoader()));
        }
        loadExtensions(loaded);
    }

    @Override
    protected List<LoadedPlugin> plugins() {
        return loaded;
    }
}
