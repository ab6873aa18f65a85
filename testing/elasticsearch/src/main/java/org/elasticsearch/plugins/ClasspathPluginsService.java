package org.elasticsearch.plugins;

import org.elasticsearch.Version;
import org.elasticsearch.common.settings.Settings;

import java.lang.reflect.Constructor;
import java.util.ArrayList;
import java.util.Arrays;
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
            PluginDescriptor descriptor = descriptor(pluginClass);
            loaded.add(new LoadedPlugin(descriptor, instance, pluginClass.getClassLoader()));
        }
        loadExtensions(loaded);
    }

    /**
     * What a plugin-descriptor.properties would say. The constructor differs between
     * the majors this launcher builds against: 9.x added a last argument of type
     * PluginDescriptor.DeploymentTarget, which 8.x lacks, so the constructor is picked
     * by its parameter count and the enum constant is looked up by name.
     */
    private static PluginDescriptor descriptor(Class<? extends Plugin> pluginClass) {
        Object[] args = {
            pluginClass.getSimpleName(),        // name
            "loaded from the classpath",        // description
            Version.CURRENT.toString(),         // plugin version
            Version.CURRENT.toString(),         // elasticsearch version it targets
            Runtime.version().feature() + "",   // java version
            pluginClass.getName(),              // class name
            null,                               // not a named module
            List.of(),                          // extends no other plugin
            false, false, false, false };       // native controller, licensed, modular, stable
        for (Constructor<?> constructor : PluginDescriptor.class.getConstructors()) {
            Class<?>[] types = constructor.getParameterTypes();
            if (types.length == 0 || types[0] != String.class) {
                continue; // PluginDescriptor(StreamInput)
            }
            Object[] actual;
            if (types.length == args.length) {
                actual = args; // 8.x
            } else if (types.length == args.length + 1 && types[args.length].isEnum()) {
                actual = Arrays.copyOf(args, args.length + 1); // 9.x: DeploymentTarget.ALL
                actual[args.length] = enumConstant(types[args.length], "ALL");
            } else {
                continue;
            }
            try {
                return (PluginDescriptor) constructor.newInstance(actual);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot describe plugin " + pluginClass.getName(), e);
            }
        }
        throw new IllegalStateException("no known PluginDescriptor constructor in Elasticsearch " + Version.CURRENT);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object enumConstant(Class<?> type, String name) {
        return Enum.valueOf((Class<? extends Enum>) type, name);
    }

    @Override
    protected List<LoadedPlugin> plugins() {
        return loaded;
    }
}
