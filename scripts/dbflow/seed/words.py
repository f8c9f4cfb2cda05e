"""Word lists, taken once from Faker's data (its unweighted lists, never its per-row calls)."""

from __future__ import annotations

from functools import cache

from faker.providers.address.en_US import Provider as Address
from faker.providers.company.en_US import Provider as Company
from faker.providers.job.en_US import Provider as Job
from faker.providers.lorem.en_US import Provider as Lorem
from faker.providers.person.en_US import Provider as Person

SKILLS = (
    "python",
    "sql",
    "postgresql",
    "typescript",
    "react",
    "go",
    "rust",
    "kotlin",
    "swift",
    "docker",
    "kubernetes",
    "terraform",
    "aws",
    "gcp",
    "figma",
    "product",
    "design",
    "devops",
    "data",
    "machine-learning",
    "security",
    "testing",
    "graphql",
    "supabase",
    "django",
    "rails",
)  # fmt: skip  (a word list, several to a line)

STATUSES = ("active", "pending", "archived", "draft", "open", "closed")
# Currencies whose amounts have the same magnitude (a salary of 80,000 reads right in each).
CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD", "CHF")


@cache
def first_names() -> tuple[str, ...]:
    return tuple(dict.fromkeys([*Person.first_names_female, *Person.first_names_male]))


@cache
def last_names() -> tuple[str, ...]:
    return tuple(Person.last_names)


@cache
def words() -> tuple[str, ...]:
    return tuple(Lorem.word_list)


@cache
def jobs() -> tuple[str, ...]:
    return tuple(Job.jobs)


@cache
def cities() -> tuple[str, ...]:
    names = last_names()[:200]
    prefixes, suffixes = Address.city_prefixes, Address.city_suffixes
    built = [f"{names[i]}{suffixes[i % len(suffixes)]}" for i in range(len(names))]
    built += [f"{prefixes[i % len(prefixes)]} {names[i]}" for i in range(len(names))]
    return tuple(built)


@cache
def countries() -> tuple[str, ...]:
    return tuple(Address.countries)


@cache
def company_words() -> tuple[str, ...]:
    return tuple(word for group in Company.catch_phrase_words for word in group)
