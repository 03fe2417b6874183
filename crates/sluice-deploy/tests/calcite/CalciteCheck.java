// Runs Sluice's compiled Beam SQL through a real Calcite: parse, validate and
// convert to relational algebra, as Beam's CalciteQueryPlanner does, and prints
// each query's output row type. Used by tests/calcite.rs; compiled with javac
// against the Calcite jar that `cargo xtask setup` installs.
//
// Beam's settings, from Beam 2.75's sources (sdks/java/extensions/sql):
// - JdbcDriver: lex JAVA (back-tick quoting, case kept, case-sensitive), the
//   type system BeamRelDataTypeSystem (decimal precision and scale up to 38).
// - CalciteQueryPlanner.defaultConfig: the standard operator table chained with
//   the catalog (Beam's built-in UDFs, BeamBuiltinFunctionProvider), DEFAULT
//   conformance, SqlToRelConverter with expand.
// - BuiltinStringFunctions: the UDFs below, with Beam's Java signatures.
//
// Input: a JSON file [{"name", "sql", "tables": {name: [column]}}], a column being
// {"name", "type" (a Calcite SqlTypeName), "nullable", "items"?, "fields"?,
// "event_time"? (a stream's time, declared ascending: see getStatistic)}.
// Output (stdout): [{"name", "ok", "error"?, "columns"?: [column]}].

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.calcite.avatica.util.DateTimeUtils;
import org.apache.calcite.config.Lex;
import org.apache.calcite.rel.RelCollation;
import org.apache.calcite.rel.RelCollations;
import org.apache.calcite.rel.RelRoot;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.rel.type.RelDataTypeField;
import org.apache.calcite.rel.type.RelDataTypeSystemImpl;
import org.apache.calcite.schema.SchemaPlus;
import org.apache.calcite.schema.Statistic;
import org.apache.calcite.schema.Statistics;
import org.apache.calcite.schema.impl.AbstractTable;
import org.apache.calcite.schema.impl.ScalarFunctionImpl;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.parser.SqlParser;
import org.apache.calcite.sql.type.SqlTypeName;
import org.apache.calcite.sql.validate.SqlConformanceEnum;
import org.apache.calcite.tools.FrameworkConfig;
import org.apache.calcite.tools.Frameworks;
import org.apache.calcite.tools.Planner;

public class CalciteCheck {
  /** BeamRelDataTypeSystem: decimals of up to 38 digits and 38 after the point. */
  static final RelDataTypeSystemImpl BEAM_TYPES =
      new RelDataTypeSystemImpl() {
        @Override
        public int getMaxNumericScale() {
          return 38;
        }

        @Override
        public int getMaxNumericPrecision() {
          return 38;
        }

        @Override
        public boolean shouldConvertRaggedUnionTypesToVarying() {
          return true;
        }
      };

  /** Beam's BuiltinStringFunctions, with their Java signatures (bodies unused). */
  public static class BeamBuiltins {
    public static Boolean endsWith(String a, String b) { return a.endsWith(b); }
    public static Boolean startsWith(String a, String b) { return a.startsWith(b); }
    public static Long lengthString(String s) { return (long) s.length(); }
    public static Long lengthBytes(byte[] b) { return (long) b.length; }
    public static String reverseString(String s) { return s; }
    public static String lpad2(String s, Long n) { return s; }
    public static String lpad3(String s, Long n, String p) { return s; }
    public static String rpad2(String s, Long n) { return s; }
    public static String rpad3(String s, Long n, String p) { return s; }
    public static String toHex(byte[] b) { return ""; }
    public static byte[] fromHex(String s) { return new byte[0]; }
  }

  static void addBuiltins(SchemaPlus schema) throws Exception {
    Object[][] udfs = {
      {"ENDS_WITH", "endsWith", new Class<?>[] {String.class, String.class}},
      {"STARTS_WITH", "startsWith", new Class<?>[] {String.class, String.class}},
      {"LENGTH", "lengthString", new Class<?>[] {String.class}},
      {"LENGTH", "lengthBytes", new Class<?>[] {byte[].class}},
      {"REVERSE", "reverseString", new Class<?>[] {String.class}},
      {"LPAD", "lpad2", new Class<?>[] {String.class, Long.class}},
      {"LPAD", "lpad3", new Class<?>[] {String.class, Long.class, String.class}},
      {"RPAD", "rpad2", new Class<?>[] {String.class, Long.class}},
      {"RPAD", "rpad3", new Class<?>[] {String.class, Long.class, String.class}},
      {"TO_HEX", "toHex", new Class<?>[] {byte[].class}},
      {"FROM_HEX", "fromHex", new Class<?>[] {String.class}},
    };
    for (Object[] udf : udfs) {
      Method m = BeamBuiltins.class.getMethod((String) udf[1], (Class<?>[]) udf[2]);
      schema.add((String) udf[0], ScalarFunctionImpl.create(m));
    }
  }

  static RelDataType type(RelDataTypeFactory f, JsonNode c) {
    String name = c.get("type").asText();
    RelDataType t;
    switch (name) {
      case "ARRAY":
        t = f.createArrayType(type(f, c.get("items")), -1);
        break;
      case "ROW":
        RelDataTypeFactory.Builder b = f.builder();
        for (JsonNode field : c.get("fields")) {
          b.add(field.get("name").asText(), type(f, field));
        }
        t = b.build();
        break;
      default:
        t = f.createSqlType(SqlTypeName.valueOf(name));
    }
    return f.createTypeWithNullability(t, c.path("nullable").asBoolean(true));
  }

  static ObjectNode describe(ObjectMapper json, String name, RelDataType t) {
    ObjectNode c = json.createObjectNode();
    c.put("name", name);
    c.put("type", t.getSqlTypeName().getName());
    c.put("nullable", t.isNullable());
    if (t.getComponentType() != null) {
      c.set("items", describe(json, "", t.getComponentType()));
    }
    if (t.isStruct()) {
      ArrayNode fields = c.putArray("fields");
      for (RelDataTypeField f : t.getFieldList()) {
        fields.add(describe(json, f.getName(), f.getType()));
      }
    }
    if (t.getSqlTypeName() == SqlTypeName.DECIMAL) {
      c.put("precision", t.getPrecision());
      c.put("scale", t.getScale());
    }
    return c;
  }

  static ObjectNode check(ObjectMapper json, JsonNode c) {
    ObjectNode out = json.createObjectNode();
    out.put("name", c.get("name").asText());
    try {
      SchemaPlus root = Frameworks.createRootSchema(true);
      addBuiltins(root);
      Iterator<Map.Entry<String, JsonNode>> tables = c.get("tables").fields();
      while (tables.hasNext()) {
        Map.Entry<String, JsonNode> table = tables.next();
        JsonNode columns = table.getValue();
        root.add(
            table.getKey(),
            new AbstractTable() {
              @Override
              public RelDataType getRowType(RelDataTypeFactory f) {
                RelDataTypeFactory.Builder b = f.builder();
                for (JsonNode col : columns) {
                  b.add(col.get("name").asText(), type(f, col));
                }
                return b.build();
              }

              // A stream's event time is declared ascending. Calcite 1.26's
              // SqlToRelConverter asks the group window's time for its
              // monotonicity and throws a NullPointerException when it has none
              // (SqlGroupedWindowFunction.getMonotonicity); Beam 2.75's Calcite
              // 1.40 does not need this.
              @Override
              public Statistic getStatistic() {
                List<RelCollation> collations = new ArrayList<>();
                int i = 0;
                for (JsonNode col : columns) {
                  if (col.path("event_time").asBoolean(false)) {
                    collations.add(RelCollations.of(i));
                  }
                  i++;
                }
                return Statistics.of(100d, List.of(), collations);
              }
            });
      }
      FrameworkConfig config =
          Frameworks.newConfigBuilder()
              .parserConfig(
                  SqlParser.configBuilder()
                      .setLex(Lex.JAVA)
                      .setConformance(SqlConformanceEnum.DEFAULT)
                      .build())
              .defaultSchema(root)
              .typeSystem(BEAM_TYPES)
              .build();
      Planner planner = Frameworks.getPlanner(config);
      SqlNode parsed = planner.parse(c.get("sql").asText());
      SqlNode validated = planner.validate(parsed);
      RelRoot rel = planner.rel(validated);
      ArrayNode columns = out.putArray("columns");
      for (RelDataTypeField f : rel.validatedRowType.getFieldList()) {
        columns.add(describe(json, f.getName(), f.getType()));
      }
      out.put("ok", true);
    } catch (Throwable e) {
      Throwable cause = e;
      StringBuilder message = new StringBuilder();
      while (cause != null) {
        if (message.length() > 0) {
          message.append(" / ");
        }
        message.append(cause.getClass().getSimpleName()).append(": ").append(cause.getMessage());
        cause = cause.getCause() == cause ? null : cause.getCause();
      }
      out.put("ok", false);
      out.put("error", message.toString());
    }
    return out;
  }

  /**
   * With {@code --times FILE}: how Calcite's runtime reads time text (Avatica's
   * DateTimeUtils, which CAST(VARCHAR AS TIMESTAMP/DATE/TIME) uses): for each
   * {"kind": "TIMESTAMP"|"DATE"|"TIME", "text"}, the value in milliseconds since
   * the epoch (days for DATE, milliseconds of the day for TIME), or the error.
   */
  static ObjectNode time(ObjectMapper json, JsonNode c) {
    ObjectNode out = json.createObjectNode();
    String text = c.get("text").asText();
    out.put("text", text);
    try {
      switch (c.get("kind").asText()) {
        case "TIMESTAMP":
          out.put("value", DateTimeUtils.timestampStringToUnixDate(text));
          break;
        case "DATE":
          out.put("value", DateTimeUtils.dateStringToUnixDate(text));
          break;
        default:
          out.put("value", DateTimeUtils.timeStringToUnixDate(text));
      }
    } catch (Throwable e) {
      out.put("error", e.toString());
    }
    return out;
  }

  public static void main(String[] args) throws Exception {
    ObjectMapper json = new ObjectMapper();
    if (args.length == 2 && args[0].equals("--times")) {
      ArrayNode results = json.createArrayNode();
      for (JsonNode c : json.readTree(new File(args[1]))) {
        results.add(time(json, c));
      }
      System.out.println(json.writeValueAsString(results));
      return;
    }
    JsonNode cases = json.readTree(new File(args[0]));
    ArrayNode results = json.createArrayNode();
    for (JsonNode c : cases) {
      results.add(check(json, c));
    }
    System.out.println(json.writeValueAsString(results));
  }
}
