package dev.mixtape.engine;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Whether one object holds another through its fields, followed by reflection: a deterministic
 * stand-in for "would the garbage collector keep it", which a test cannot force. It follows the
 * fields of the project's classes (lambdas' captured values included), arrays, and the elements of
 * JDK collections and maps; it does not enter backends (shared by every tensor) or other JDK objects.
 */
final class Reachability {
    private Reachability() {
    }

    /** Whether {@code target} is reachable from {@code root}. */
    static boolean reaches(Object root, Object target) {
        Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Object> pending = new ArrayDeque<>();
        pending.push(root);
        while (!pending.isEmpty()) {
            Object next = pending.pop();
            if (next == target) {
                return true;
            }
            if (!seen.add(next) || next instanceof Backend) {
                continue;
            }
            for (Object child : children(next)) {
                if (child != null) {
                    pending.push(child);
                }
            }
        }
        return false;
    }

    private static Iterable<?> children(Object object) {
        Class<?> type = object.getClass();
        if (type.isArray()) {
            return type.getComponentType().isPrimitive() ? List.of() : Arrays.asList((Object[]) object);
        }
        if (object instanceof Collection<?> collection) {
            return collection;
        }
        if (object instanceof Map<?, ?> map) {
            List<Object> both = new ArrayList<>(map.keySet());
            both.addAll(map.values());
            return both;
        }
        List<Object> values = new ArrayList<>();
        for (Class<?> c = type; c != null && !isJdk(c); c = c.getSuperclass()) {
            for (Field field : c.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers()) || field.getType().isPrimitive()) {
                    continue;
                }
                try {
                    field.setAccessible(true);
                    values.add(field.get(object));
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException("cannot read " + field, e);
                }
            }
        }
        return values;
    }

    private static boolean isJdk(Class<?> type) {
        String name = type.getName();
        return name.startsWith("java.") || name.startsWith("jdk.") || name.startsWith("sun.");
    }
}
