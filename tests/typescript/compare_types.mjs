// Structural comparison of two generated `database.ts` files with the TypeScript compiler API.
// Usage: node compare_types.mjs OURS THEIRS  (TypeScript resolved from the current folder)
// Prints a JSON list of differences: {path, ours, theirs}; member order, quoting, commas,
// semicolons and the order of union members do not count.
import fs from "node:fs"
import path from "node:path"
import { createRequire } from "node:module"

const require = createRequire(path.join(process.cwd(), "package.json"))
const ts = require("typescript")

function read(file) {
  const text = fs.readFileSync(file, "utf8")
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const top = {}
  for (const statement of source.statements) {
    if (ts.isTypeAliasDeclaration(statement)) {
      const params = (statement.typeParameters ?? []).map((p) => canon(p.constraint) ?? null)
      top[`type ${statement.name.text}`] = { params, type: canon(statement.type) }
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        top[`const ${declaration.name.getText()}`] = canonValue(declaration.initializer)
      }
    }
  }
  return top
}

// A property's name as its value: "a", 'a' and a are one name, and so are "we'ird" and 'we\'ird'.
function name(node) {
  if (ts.isStringLiteral(node) || ts.isIdentifier(node) || ts.isNumericLiteral(node)) return node.text
  return node.getText().replace(/^["']|["']$/g, "")
}

function text(node) {
  return node.getText().replace(/\s+/g, " ").replace(/'/g, '"').replace(/[;,]\s*([}\]])/g, " $1").replace(/\s+/g, " ").trim()
}

function canon(node) {
  if (node === undefined) return undefined
  if (ts.isParenthesizedTypeNode(node)) return canon(node.type)
  if (ts.isTypeLiteralNode(node)) {
    const out = {}
    for (const member of node.members) {
      if (ts.isPropertySignature(member)) {
        out[name(member.name) + (member.questionToken ? "?" : "")] = canon(member.type)
      } else {
        out[`[${text(member)}]`] = "index"
      }
    }
    return { object: out }
  }
  if (ts.isUnionTypeNode(node)) {
    return { union: node.types.map((t) => stable(canon(t))).sort() }
  }
  if (ts.isTupleTypeNode(node)) return { tuple: node.elements.map(canon) }
  if (ts.isArrayTypeNode(node)) return { array: canon(node.elementType) }
  if (ts.isTypeReferenceNode(node) && node.typeArguments) {
    return { ref: node.typeName.getText(), args: node.typeArguments.map(canon) }
  }
  if (ts.isLiteralTypeNode(node) && ts.isStringLiteral(node.literal)) {
    return JSON.stringify(node.literal.text) // one string, however it is quoted and escaped
  }
  if (ts.isIndexedAccessTypeNode(node)) {
    return { index: [canon(node.objectType), canon(node.indexType)] }
  }
  return text(node)
}

// JSON with object keys sorted, so that member order never decides how union members sort.
function stable(value) {
  if (Array.isArray(value)) return `[${value.map(stable).join(",")}]`
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort()
    return `{${keys.map((key) => `${JSON.stringify(key)}:${stable(value[key])}`).join(",")}}`
  }
  return JSON.stringify(value)
}

function canonValue(node) {
  if (node === undefined) return undefined
  if (ts.isAsExpression(node)) return canonValue(node.expression)
  if (ts.isObjectLiteralExpression(node)) {
    const out = {}
    for (const property of node.properties) {
      out[name(property.name)] = canonValue(property.initializer)
    }
    return { object: out }
  }
  if (ts.isArrayLiteralExpression(node)) return { tuple: node.elements.map(canonValue) }
  if (ts.isStringLiteral(node)) return JSON.stringify(node.text)
  return text(node)
}

function diff(ours, theirs, where, found) {
  const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v)
  if (isObject(ours) && isObject(theirs)) {
    for (const key of new Set([...Object.keys(ours), ...Object.keys(theirs)])) {
      diff(ours[key], theirs[key], where ? `${where}.${key}` : key, found)
    }
    return
  }
  if (Array.isArray(ours) && Array.isArray(theirs) && ours.length === theirs.length) {
    ours.forEach((item, index) => diff(item, theirs[index], `${where}[${index}]`, found))
    return
  }
  if (JSON.stringify(ours) !== JSON.stringify(theirs)) {
    found.push({ path: where, ours: ours ?? null, theirs: theirs ?? null })
  }
}

const [oursFile, theirsFile] = process.argv.slice(2)
const found = []
diff(read(oursFile), read(theirsFile), "", found)
process.stdout.write(JSON.stringify(found, null, 1) + "\n")
