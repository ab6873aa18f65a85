package org.elasticsearch.node;

import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.ClasspathPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;

import java.util.Collection;
import java.util.Map;
import java.util.Set;

/**
 * A real Elasticsearch Node whose plugins come from the classpath.
 *
 * The public Node constructor only loads plugins from $ES_HOME/modules; the
 * hook to replace the PluginsService (NodeServiceProvider.newPluginService) and
 * the Node(NodeConstruction) constructor are package-private, hence this package.
 */
public class ClasspathPluginNode extends Node {
    public ClasspathPluginNode(Settings settings, Collection<Class<? extends Plugin>> plugins) {
        super(NodeConstruction.prepareConstruction(
            new Environment(settings, null),
            PluginsLoader.createPluginsLoader(Set.of(), Set.of(), Map.of(), false),
            new NodeServiceProvider() {
                @Override
                PluginsService newPluginService(Environment environment, PluginsLoader pluginsLoader) {
                    return new ClasspathPluginsService(environment.settings(), pluginsLoader, plugins);
                }
            },
            // forbidPrivateIndexSettings: same as a production node
            true));
    }
}
