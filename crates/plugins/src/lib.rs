//! optifire-plugins: one file per plugin, under src/<category>/.
